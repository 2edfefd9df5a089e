# Compile-fail checks (like Boost.Scope's test/compile_fail): each tests/compile_fail/*.cpp is a
# misuse that must not compile, and must fail with the diagnostic its "// expect-error: <regex>"
# line names, so it cannot pass for another reason (a typo, a missing include). Each also gets a
# positive control: with -DPYSOCK_COMPILE_FAIL_CONTROL the file swaps the misuse for the valid
# use next to it and must compile cleanly. The checks run the compiler directly (syntax only).
file(GLOB PYSOCK_COMPILE_FAIL_SOURCES CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/*.cpp)
foreach(source ${PYSOCK_COMPILE_FAIL_SOURCES})
  get_filename_component(name ${source} NAME_WE)
  foreach(control OFF ON)
    set(test_name compile_fail.${name})
    if(control)
      string(APPEND test_name .control)
    endif()
    add_test(NAME ${test_name}
      COMMAND ${CMAKE_COMMAND} -DCOMPILER=${CMAKE_CXX_COMPILER} -DSOURCE=${source}
        -DINCLUDE_DIR=${PROJECT_SOURCE_DIR}/include -DCONTROL=${control}
        -P ${CMAKE_CURRENT_SOURCE_DIR}/compile_fail/check.cmake)
    set_tests_properties(${test_name} PROPERTIES TIMEOUT 120)
  endforeach()
endforeach()
