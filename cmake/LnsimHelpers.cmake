# Helpers shared by every part: warnings as errors on our own code, includes from the repo root.

set(LNSIM_WARNINGS -Wall -Wextra -Werror -Wno-missing-field-initializers)
# GCC 12 at -O2 and above reports -Wrestrict inside libstdc++ for `"literal" + std::string&&`
# (GCC bug 105329, a false positive), which only the release preset sees. Keep it a warning.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  list(APPEND LNSIM_WARNINGS -Wno-error=restrict)
endif()

# Drops our own lnsim_* libraries that do not exist (yet) from a dependency list.
function(lnsim_existing_deps out)
  set(result)
  foreach(dep ${ARGN})
    if(dep MATCHES "^lnsim_" AND NOT TARGET ${dep})
      continue()
    endif()
    list(APPEND result ${dep})
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

# lnsim_library(NAME SOURCES ... DEPS ...)
function(lnsim_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_SOURCES)
    return()  # a part with no sources yet defines no library
  endif()
  lnsim_existing_deps(deps ${ARG_DEPS})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${LNSIM_WARNINGS})
  target_link_libraries(${name} PUBLIC ${deps})
endfunction()

# lnsim_test(NAME SOURCES ... DEPS ... [LABELS ...])
# One GoogleTest binary; every TEST in it becomes a ctest case (gtest_discover_tests).
function(lnsim_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${LNSIM_WARNINGS})
  lnsim_existing_deps(deps ${ARG_DEPS})
  target_link_libraries(${name} PRIVATE ${deps} GTest::gtest GTest::gmock GTest::gtest_main)
  if(TARGET lnsim_testutil)
    target_link_libraries(${name} PRIVATE lnsim_testutil)  # tests/testutil/ (tests/CMakeLists.txt)
  endif()
  set(labels unit)
  if(ARG_LABELS)
    set(labels ${ARG_LABELS})
  endif()
  # Tests find the repo (scenarios/, ../shared) and the lnsim binary through these.
  target_compile_definitions(${name} PRIVATE
    LNSIM_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    LNSIM_BINARY_PATH="${PROJECT_BINARY_DIR}/cli/lnsim")
  gtest_discover_tests(${name}
    WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
    PROPERTIES LABELS "${labels}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# lnsim_bench(NAME SOURCES ... DEPS ...)
function(lnsim_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  target_compile_options(${name} PRIVATE ${LNSIM_WARNINGS})
  lnsim_existing_deps(deps ${ARG_DEPS})
  target_link_libraries(${name} PRIVATE ${deps} benchmark::benchmark)
endfunction()
