# One compile-fail check (see tests/compile_fail.cmake):
#   cmake -DCOMPILER=c++ -DSOURCE=file.cpp -DINCLUDE_DIR=include -DCONTROL=OFF|ON -P check.cmake
file(STRINGS ${SOURCE} expect_lines REGEX "^// expect-error: ")
list(LENGTH expect_lines count)
if(NOT count EQUAL 1)
  message(FATAL_ERROR "${SOURCE} needs exactly one '// expect-error: <regex>' line")
endif()
string(REGEX REPLACE "^// expect-error: " "" expect "${expect_lines}")
# Optionally "// expect-error-count: N": a file of N misuses must fail with N diagnostics, so
# that each misuse is checked, not just the first.
file(STRINGS ${SOURCE} count_lines REGEX "^// expect-error-count: [0-9]+$")
string(REGEX REPLACE "^// expect-error-count: " "" expect_count "${count_lines}")

set(command ${COMPILER} -std=c++20 -fsyntax-only -Wall -Wextra -Wpedantic -Wshadow -Werror
  -I${INCLUDE_DIR})
if(CONTROL)
  list(APPEND command -DPYSOCK_COMPILE_FAIL_CONTROL)
endif()
execute_process(COMMAND ${command} ${SOURCE} RESULT_VARIABLE status OUTPUT_VARIABLE output
  ERROR_VARIABLE output)

if(CONTROL)
  if(NOT status EQUAL 0)
    message(FATAL_ERROR "the positive control does not compile:\n${output}")
  endif()
elseif(status EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it must not")
elseif(NOT output MATCHES "${expect}")
  message(FATAL_ERROR "failed without the expected diagnostic '${expect}':\n${output}")
elseif(expect_count)
  string(REGEX MATCHALL "${expect}" found "${output}")
  list(LENGTH found found_count)
  if(NOT found_count EQUAL expect_count)
    message(FATAL_ERROR "${found_count} diagnostics '${expect}', expected ${expect_count}:\n${output}")
  endif()
endif()
