# weft_wasm_program(NAME <target> OUTPUT <file.wasm> SOURCES <files...> [FLAGS <flags...>])
# Compiles C or C++ sources to a wasm32-wasi command module with clang-19 and Debian's
# wasi-libc / libc++ (packages wasi-libc, libc++-19-dev-wasm32), as part of `all`.
# WEFT_WASM_CC is empty (and the function a no-op with a warning) when the toolchain is absent.
if(NOT DEFINED WEFT_WASM_CC)
  find_program(WEFT_WASM_CC NAMES clang-19 clang)
  if(WEFT_WASM_CC AND NOT EXISTS /usr/lib/wasm32-wasi/libc.a)
    message(WARNING "wasi-libc not found (/usr/lib/wasm32-wasi): wasm guests are not built")
    set(WEFT_WASM_CC "" CACHE FILEPATH "" FORCE)
  endif()
endif()
get_filename_component(_weft_wasm_cc_dir "${WEFT_WASM_CC}" DIRECTORY)
find_program(WEFT_WASM_CXX NAMES clang++-19 clang++ HINTS ${_weft_wasm_cc_dir})

function(weft_wasm_program)
  cmake_parse_arguments(ARG "" "NAME;OUTPUT" "SOURCES;FLAGS" ${ARGN})
  if(NOT WEFT_WASM_CC)
    return()
  endif()
  set(compiler ${WEFT_WASM_CC})
  set(lang_flags)
  foreach(src ${ARG_SOURCES})
    if(src MATCHES "\\.(cc|cpp)$")
      set(compiler ${WEFT_WASM_CXX})
      set(lang_flags -fno-exceptions)
    endif()
  endforeach()
  list(TRANSFORM ARG_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/ OUTPUT_VARIABLE abs_sources)
  get_filename_component(out_dir ${ARG_OUTPUT} DIRECTORY)
  # Compile and link in separate steps: linking with -O2 makes clang run binaryen's wasm-opt
  # (when installed), which drops the "name" section that trap backtraces use.
  set(objects)
  set(compile_commands)
  foreach(src ${abs_sources})
    get_filename_component(stem ${src} NAME_WE)
    set(obj ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.dir/${stem}.o)
    list(APPEND objects ${obj})
    list(APPEND compile_commands COMMAND ${compiler} --target=wasm32-wasi -O2 -g0 -Wall -Werror
         ${lang_flags} ${ARG_FLAGS} -c ${src} -o ${obj})
  endforeach()
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir} ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.dir
    ${compile_commands}
    COMMAND ${compiler} --target=wasm32-wasi ${objects} -o ${ARG_OUTPUT}
    DEPENDS ${abs_sources}
    COMMENT "Compiling ${ARG_NAME} to wasm32-wasi"
    VERBATIM)
  add_custom_target(${ARG_NAME} ALL DEPENDS ${ARG_OUTPUT})
endfunction()
