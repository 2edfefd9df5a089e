# The warning set every target of the project builds with (g++ 12 and clang++ 14 stay silent).
function(pysock_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
    $<$<BOOL:${PYSOCK_WERROR}>:-Werror>)
endfunction()
