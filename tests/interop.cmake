# TLS interop tests (tests/interop/test_tls_interop.py): pysock's tls_peer program against
# openssl s_server / s_client, CPython's ssl module (py_tls_peer.py under python3.13), socat and
# itself, and the 100 MB makefile("rb") test; one CTest entry per test: tls_interop.<test>. A
# test the peers here cannot run prints "SKIP: reason" and counts as skipped.
# They need pysock::ssl and the certificates of tests/certs.cmake (fixture tls_certs).
get_property(_pysock_cert_dir GLOBAL PROPERTY PYSOCK_TEST_CERT_DIR)
if(NOT TARGET pysock::ssl OR NOT _pysock_cert_dir)
  message(STATUS "tls: no pysock::ssl or no certificates, the TLS interop tests are not added")
  return()
endif()
find_package(Python3 3.9 REQUIRED COMPONENTS Interpreter)

add_executable(tls_peer ${CMAKE_CURRENT_LIST_DIR}/interop/tls_peer.cpp)
target_include_directories(tls_peer PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(tls_peer PRIVATE PYSOCK_TEST_WITH_SSL)
target_link_libraries(tls_peer PRIVATE pysock::ssl OpenSSL::Crypto)
pysock_warnings(tls_peer)

set(_tls_driver ${CMAKE_CURRENT_LIST_DIR}/interop/test_tls_interop.py)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_tls_driver})
execute_process(COMMAND ${Python3_EXECUTABLE} ${_tls_driver} --list
  OUTPUT_VARIABLE _tls_tests OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
string(REPLACE "\n" ";" _tls_tests "${_tls_tests}")
foreach(test ${_tls_tests})
  add_test(NAME tls_interop.${test}
    COMMAND ${Python3_EXECUTABLE} ${_tls_driver} --tls-peer $<TARGET_FILE:tls_peer>
            --certs ${_pysock_cert_dir} ${test})
  set_tests_properties(tls_interop.${test} PROPERTIES
    TIMEOUT 300 LABELS "tls;interop" FIXTURES_REQUIRED tls_certs
    SKIP_REGULAR_EXPRESSION "(^|\n)SKIP: ")
endforeach()
