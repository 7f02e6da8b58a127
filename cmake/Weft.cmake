# Shared build settings and the weft_library() helper used by every src/ layer.

set(WEFT_WARNINGS -Wall -Wextra -Wno-unused-parameter)
if(WEFT_WERROR)
  list(APPEND WEFT_WARNINGS -Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # g++-12 false positives in <variant>/<optional> at -O2/-O3, and -Wrestrict on inlined
  # std::string concatenation (GCC bug 105329).
  list(APPEND WEFT_WARNINGS -Wno-maybe-uninitialized -Wno-array-bounds -Wno-stringop-overflow
       -Wno-restrict)
endif()

if(WEFT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
  add_compile_definitions(WEFT_SANITIZE=1)
endif()

if(WEFT_FUZZ)
  # Coverage instrumentation for every library, so libFuzzer is guided through the code under
  # test; only the fuzz executables link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# weft_library(NAME <name> [DEPS <libs...>] [PUBLIC_DEPS <libs...>])
# Builds src/<name>/*.cc (except *_test.cc and *_fuzz.cc) into library weft_<name>, and the
# *_test.cc beside them into the test binary weft_<name>_test, registered with CTest.
function(weft_library)
  cmake_parse_arguments(ARG "" "NAME" "DEPS;PUBLIC_DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  file(GLOB fuzzers CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_fuzz.cc)
  if(tests)
    list(REMOVE_ITEM srcs ${tests})
  endif()
  if(fuzzers)
    list(REMOVE_ITEM srcs ${fuzzers})
  endif()
  set(lib weft_${ARG_NAME})
  if(srcs)
    add_library(${lib} STATIC ${srcs})
    target_include_directories(${lib} PUBLIC ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
    target_compile_options(${lib} PRIVATE ${WEFT_WARNINGS})
    target_link_libraries(${lib} PUBLIC ${ARG_PUBLIC_DEPS} ${ARG_DEPS})
  else()
    add_library(${lib} INTERFACE)
    target_include_directories(${lib} INTERFACE ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(${lib} INTERFACE ${ARG_PUBLIC_DEPS} ${ARG_DEPS})
  endif()
  if(WEFT_BUILD_TESTS AND tests)
    add_executable(${lib}_test ${tests})
    target_compile_options(${lib}_test PRIVATE ${WEFT_WARNINGS})
    target_link_libraries(${lib}_test PRIVATE ${lib} GTest::gtest GTest::gtest_main GTest::gmock)
    # Where the tests' data lives (testdata/ beside them). Not __FILE__: compiler caches
    # and -ffile-prefix-map may rewrite that to a relative path.
    target_compile_definitions(${lib}_test PRIVATE WEFT_TEST_SRC_DIR="${CMAKE_CURRENT_SOURCE_DIR}")
    gtest_discover_tests(${lib}_test DISCOVERY_TIMEOUT 60 PROPERTIES LABELS unit)
  endif()
  if(WEFT_FUZZ AND fuzzers)
    foreach(f ${fuzzers})
      get_filename_component(fname ${f} NAME_WE)
      add_executable(weft_${fname} ${f})
      target_compile_options(weft_${fname} PRIVATE -fsanitize=fuzzer ${WEFT_WARNINGS})
      target_link_options(weft_${fname} PRIVATE -fsanitize=fuzzer)
      target_link_libraries(weft_${fname} PRIVATE ${lib})
    endforeach()
  endif()
endfunction()
