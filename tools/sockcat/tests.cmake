# sockcat's end-to-end tests (test_sockcat.py against socat, ncat, openssl and CPython 3.13
# peers), one CTest entry per test so that CTest's summary lists each by name: sockcat.<test>. A
# test that cannot run on this machine prints "SKIP: reason" and counts as skipped.
# The TLS tests (tls_*) use the certificates of tests/certs.cmake (fixture tls_certs), whose
# directory is known once tests/ has been read: the tests are added at the end of the project.
set(_sockcat_driver ${CMAKE_CURRENT_LIST_DIR}/test_sockcat.py)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_sockcat_driver})

function(_sockcat_add_tests)
  find_package(Python3 3.9 REQUIRED COMPONENTS Interpreter)
  set(driver ${CMAKE_CURRENT_FUNCTION_LIST_DIR}/test_sockcat.py)
  execute_process(COMMAND ${Python3_EXECUTABLE} ${driver} --list
    OUTPUT_VARIABLE tests OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
  get_property(cert_dir GLOBAL PROPERTY PYSOCK_TEST_CERT_DIR)
  foreach(test ${tests})
    if(test MATCHES "^tls_" AND NOT cert_dir)
      continue()  # no openssl program: certs.cmake said so already
    endif()
    add_test(NAME sockcat.${test}
      COMMAND ${Python3_EXECUTABLE} ${driver} --sockcat $<TARGET_FILE:sockcat>
              --certs "${cert_dir}" ${test})
    set_tests_properties(sockcat.${test} PROPERTIES TIMEOUT 300 LABELS sockcat
      SKIP_REGULAR_EXPRESSION "(^|\n)SKIP: ")
    if(test MATCHES "^tls_")
      set_tests_properties(sockcat.${test} PROPERTIES FIXTURES_REQUIRED tls_certs)
    endif()
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY ${PROJECT_SOURCE_DIR} CALL _sockcat_add_tests)
