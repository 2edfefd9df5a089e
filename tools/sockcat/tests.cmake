# sockcat's end-to-end tests (test_sockcat.py against socat, ncat and CPython 3.13 peers), one
# CTest entry per test so that CTest's summary lists each by name: sockcat.<test>. A test that
# cannot run on this machine prints "SKIP: reason" and counts as skipped.
find_package(Python3 3.9 REQUIRED COMPONENTS Interpreter)
set(_sockcat_driver ${CMAKE_CURRENT_LIST_DIR}/test_sockcat.py)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_sockcat_driver})
execute_process(COMMAND ${Python3_EXECUTABLE} ${_sockcat_driver} --list
  OUTPUT_VARIABLE _sockcat_tests OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
foreach(test ${_sockcat_tests})
  add_test(NAME sockcat.${test}
    COMMAND ${Python3_EXECUTABLE} ${_sockcat_driver} --sockcat $<TARGET_FILE:sockcat> ${test})
  set_tests_properties(sockcat.${test} PROPERTIES TIMEOUT 300 LABELS sockcat
    SKIP_REGULAR_EXPRESSION "(^|\n)SKIP: ")
endforeach()
