# Warnings apply to the project's own code; generated protobuf sources opt out (see proto/).
add_compile_options(-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
                    -Wunused -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
if(ESPER_WERROR)
  add_compile_options(-Werror)
endif()
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports false positives from inlined libstdc++ code at -O2/-O3 (GCC bugs 105705, 105329).
  add_compile_options(-Wno-maybe-uninitialized -Wno-null-dereference -Wno-restrict)
endif()

if(ESPER_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# With fuzzers on, every library carries coverage instrumentation so libFuzzer can see inside the
# code it exercises (libFuzzer's recommended -fsanitize=fuzzer-no-link); only fuzz targets link the
# fuzzer runtime.
if(ESPER_BUILD_FUZZERS)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

# esper_fuzzer(NAME SOURCES... LIBS...): a libFuzzer target, plus a ctest entry that runs it for
# ESPER_FUZZ_SECONDS on its seed corpus directory.
function(esper_fuzzer name)
  cmake_parse_arguments(F "" "CORPUS" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${F_SOURCES})
  target_compile_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE ${F_LIBS})
  if(ESPER_BUILD_TESTS)
    set(work "${CMAKE_CURRENT_BINARY_DIR}/${name}-corpus")
    add_test(NAME fuzz.${name}
             COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
                     sh -c "mkdir -p '${work}' && exec \"$0\" -max_total_time=${ESPER_FUZZ_SECONDS} -print_final_stats=1 '${work}' '${F_CORPUS}'"
                     $<TARGET_FILE:${name}>)
    set_tests_properties(fuzz.${name} PROPERTIES LABELS fuzz TIMEOUT 300)
  endif()
endfunction()
