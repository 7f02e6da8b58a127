# weft_wasm_component(NAME <target> MODULE <module.wasm> OUTPUT <file.component.wasm>
#                     [DEPENDS <targets/files...>] [WIT <dir-or-file> WORLD <name> WIT_DEPS <dirs...>])
# Turns a wasm32-wasi command module (made by weft_wasm_program) into a WASI 0.2 command
# component with `jco new --wasi-command` (jco's preview1 adapter), as part of `all`. With WIT,
# the module's own component imports are first described by `jco embed` of that world, whose
# WIT_DEPS package directories are copied into a deps/ folder beside it in the build tree.
# WEFT_JCO is empty (and the function a no-op with a warning) when node_modules lacks jco:
# run scripts/install-deps.sh.
# Looked up at every configure until found, so running install-deps.sh later is enough.
if(NOT WEFT_JCO)
  set(_weft_jco ${PROJECT_SOURCE_DIR}/node_modules/.bin/jco)
  find_program(WEFT_NODE NAMES node nodejs)
  if(EXISTS ${_weft_jco} AND WEFT_NODE)
    set(WEFT_JCO ${_weft_jco} CACHE FILEPATH "jco (npm) used to build test components" FORCE)
  else()
    message(WARNING "jco not found (${_weft_jco}): run scripts/install-deps.sh; "
                    "WASI 0.2 test components are not built")
    set(WEFT_JCO "")
  endif()
endif()
# The wasm tools inside jco and componentize-js only see files under a preopen; this
# preload preopens the host root for them (preview2-shim 0.26 starts with none).
set(WEFT_JCO_PRELOAD ${PROJECT_SOURCE_DIR}/tests/components/preopen-root.mjs)

function(weft_wasm_component)
  cmake_parse_arguments(ARG "" "NAME;MODULE;OUTPUT;WIT;WORLD" "DEPENDS;WIT_DEPS" ${ARGN})
  if(NOT WEFT_JCO OR NOT WEFT_WASM_CC)
    return()
  endif()
  # --wasi-command uses this adapter; depend on it so a new jco rebuilds the components.
  set(adapter ${PROJECT_SOURCE_DIR}/node_modules/@bytecodealliance/jco/lib/wasi_snapshot_preview1.command.wasm)
  get_filename_component(out_dir ${ARG_OUTPUT} DIRECTORY)
  set(input ${ARG_MODULE})
  set(embed_commands)
  set(wit_inputs)
  if(ARG_WIT)
    # jco embed reads a WIT directory: the world file plus deps/<package>/.
    get_filename_component(wit_abs ${ARG_WIT} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
    set(wit_dir ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.wit)
    set(input ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.embed.wasm)
    set(copy_deps)
    foreach(dep ${ARG_WIT_DEPS})
      get_filename_component(dep_name ${dep} NAME)
      list(APPEND copy_deps COMMAND ${CMAKE_COMMAND} -E copy_directory ${dep} ${wit_dir}/deps/${dep_name})
      file(GLOB dep_files ${dep}/*.wit)
      list(APPEND wit_inputs ${dep_files})
    endforeach()
    list(APPEND wit_inputs ${wit_abs})
    set(embed_commands
        COMMAND ${CMAKE_COMMAND} -E rm -rf ${wit_dir}
        COMMAND ${CMAKE_COMMAND} -E make_directory ${wit_dir}/deps
        COMMAND ${CMAKE_COMMAND} -E copy ${wit_abs} ${wit_dir}/
        ${copy_deps}
        COMMAND ${WEFT_NODE} --import ${WEFT_JCO_PRELOAD} ${WEFT_JCO} embed ${ARG_MODULE}
                --wit ${wit_dir} --world-name ${ARG_WORLD} -o ${input})
  endif()
  add_custom_command(
    OUTPUT ${ARG_OUTPUT}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
    ${embed_commands}
    COMMAND ${WEFT_NODE} ${WEFT_JCO} new ${input} --wasi-command
            -o ${ARG_OUTPUT}
    DEPENDS ${ARG_MODULE} ${ARG_DEPENDS} ${wit_inputs} ${adapter}
    COMMENT "Making WASI 0.2 component ${ARG_NAME} (jco new)"
    VERBATIM)
  add_custom_target(${ARG_NAME} ALL DEPENDS ${ARG_OUTPUT})
endfunction()

# weft_wasm_direct_component(NAME <target> OUTPUT <file.wasm> SOURCES <files...>
#                            WIT <dir-or-file> WORLD <name> WIT_DEPS <dirs...>
#                            [FLAGS <compile flags...>] [LINK_FLAGS <flags...>]
#                            [DEPENDS <headers/files...>])
# Builds a component from C sources that call WASI 0.2 only through their own canonical-ABI
# imports and exports (no preview1, no _start): compiled for wasm32-wasi, linked without
# start files and with no entry point (LINK_FLAGS may add -nostdlib, a stack size...),
# described by `jco embed` of WORLD, and made a component by `jco new` with no adapter
# (which refuses a module importing wasi_snapshot_preview1, so none slips in). The core
# module is left beside as <target>.core.wasm. Needs WasmGuest.cmake's WEFT_WASM_CC.
function(weft_wasm_direct_component)
  cmake_parse_arguments(ARG "" "NAME;OUTPUT;WIT;WORLD" "SOURCES;WIT_DEPS;FLAGS;LINK_FLAGS;DEPENDS" ${ARGN})
  if(NOT WEFT_JCO OR NOT WEFT_WASM_CC)
    return()
  endif()
  get_filename_component(out_dir ${ARG_OUTPUT} DIRECTORY)
  set(work_dir ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.dir)
  set(module ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.core.wasm)
  set(embedded ${work_dir}/embed.wasm)
  set(wit_dir ${work_dir}/wit)
  list(TRANSFORM ARG_SOURCES PREPEND ${CMAKE_CURRENT_SOURCE_DIR}/ OUTPUT_VARIABLE abs_sources)
  set(objects)
  set(compile_commands)
  foreach(src ${abs_sources})
    get_filename_component(stem ${src} NAME_WE)
    list(APPEND objects ${work_dir}/${stem}.o)
    list(APPEND compile_commands COMMAND ${WEFT_WASM_CC} --target=wasm32-wasi -O2 -g0 -Wall
         -Wextra -Werror ${ARG_FLAGS} -c ${src} -o ${work_dir}/${stem}.o)
  endforeach()
  get_filename_component(wit_abs ${ARG_WIT} ABSOLUTE BASE_DIR ${CMAKE_CURRENT_SOURCE_DIR})
  set(wit_inputs ${wit_abs})
  set(copy_deps)
  foreach(dep ${ARG_WIT_DEPS})
    get_filename_component(dep_name ${dep} NAME)
    list(APPEND copy_deps COMMAND ${CMAKE_COMMAND} -E copy_directory ${dep} ${wit_dir}/deps/${dep_name})
    file(GLOB dep_files ${dep}/*.wit)
    list(APPEND wit_inputs ${dep_files})
  endforeach()
  # Separate compile and link steps: linking with -O2 would run wasm-opt, which drops the
  # "name" section that trap backtraces use. --strip-debug drops the DWARF that Debian's
  # wasi-libc objects carry (two thirds of a small module) and keeps the names.
  add_custom_command(
    OUTPUT ${ARG_OUTPUT} ${module}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir} ${work_dir}
    ${compile_commands}
    COMMAND ${WEFT_WASM_CC} --target=wasm32-wasi -nostartfiles -Wl,--no-entry -Wl,--strip-debug ${ARG_LINK_FLAGS}
            ${objects} -o ${module}
    COMMAND ${CMAKE_COMMAND} -E rm -rf ${wit_dir}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${wit_dir}/deps
    COMMAND ${CMAKE_COMMAND} -E copy ${wit_abs} ${wit_dir}/
    ${copy_deps}
    COMMAND ${WEFT_NODE} --import ${WEFT_JCO_PRELOAD} ${WEFT_JCO} embed ${module}
            --wit ${wit_dir} --world-name ${ARG_WORLD} -o ${embedded}
    COMMAND ${WEFT_NODE} ${WEFT_JCO} new ${embedded} -o ${ARG_OUTPUT}
    DEPENDS ${abs_sources} ${wit_inputs} ${ARG_DEPENDS}
    COMMENT "Making component ${ARG_NAME} from C (jco embed + jco new, no adapter)"
    VERBATIM)
  add_custom_target(${ARG_NAME} ALL DEPENDS ${ARG_OUTPUT})
endfunction()
