# Certificates for the TLS tests that are not GoogleTest (the differential run over TLS, the
# interop tests): the same directory and the same protocol as support/tls_certificates.hpp, which
# test_ssl uses — support/make_tls_certificates.sh fills build/<preset>/tests/tls-certificates
# once (it ends with a "done" file), under an flock on tls-certificates.lock. CTest runs it as the
# setup of fixture tls_certs; the directory is the global property PYSOCK_TEST_CERT_DIR (empty
# when openssl or flock is missing).
find_program(PYSOCK_OPENSSL_EXECUTABLE openssl)
find_program(PYSOCK_FLOCK_EXECUTABLE flock)
if(NOT PYSOCK_OPENSSL_EXECUTABLE OR NOT PYSOCK_FLOCK_EXECUTABLE)
  message(STATUS "tls: no openssl or flock program, the TLS tests that need certificates are "
                 "not added")
  set_property(GLOBAL PROPERTY PYSOCK_TEST_CERT_DIR "")
  return()
endif()
set(_pysock_cert_dir ${CMAKE_CURRENT_BINARY_DIR}/tls-certificates)
set_property(GLOBAL PROPERTY PYSOCK_TEST_CERT_DIR ${_pysock_cert_dir})
add_test(NAME tls.make_certificates
  COMMAND ${PYSOCK_FLOCK_EXECUTABLE} ${_pysock_cert_dir}.lock
          sh -c "test -f \"$0/done\" || { rm -rf \"$0\" && \"$1\" \"$0\"; }"
          ${_pysock_cert_dir} ${CMAKE_CURRENT_LIST_DIR}/support/make_tls_certificates.sh)
set_tests_properties(tls.make_certificates PROPERTIES
  FIXTURES_SETUP tls_certs TIMEOUT 120 LABELS tls)
