# Certificates for the TLS tests, made at test time with the openssl CLI by
# tests/support/make_test_certs.sh (layout: conformance.md's --tls-dir, plus a client
# certificate). A test that needs them declares FIXTURES_REQUIRED tls_certs and reads the
# directory from the global property PYSOCK_TEST_CERT_DIR (empty when openssl is missing).
find_program(PYSOCK_OPENSSL_EXECUTABLE openssl)
if(NOT PYSOCK_OPENSSL_EXECUTABLE)
  message(STATUS "tls: no openssl program, the TLS tests that need certificates are not added")
  set_property(GLOBAL PROPERTY PYSOCK_TEST_CERT_DIR "")
  return()
endif()
set(_pysock_cert_dir ${CMAKE_CURRENT_BINARY_DIR}/tls-certs)
set_property(GLOBAL PROPERTY PYSOCK_TEST_CERT_DIR ${_pysock_cert_dir})
add_test(NAME tls.make_certs
  COMMAND ${CMAKE_CURRENT_LIST_DIR}/support/make_test_certs.sh ${_pysock_cert_dir})
set_tests_properties(tls.make_certs PROPERTIES FIXTURES_SETUP tls_certs TIMEOUT 120 LABELS tls)
