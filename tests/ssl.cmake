# test_ssl (tests/test_ssl.cpp) links pysock::ssl; its certificates come from
# support/make_tls_certificates.sh, made on first use (see support/tls_certificates.hpp).
if(TARGET test_ssl)
  target_link_libraries(test_ssl PRIVATE pysock::ssl)
endif()

# The committed table of OpenSSL's error names is what the generator makes from the installed
# headers (regenerate with scripts/gen_ssl_error_table.py > src/ssl/error_table.inc).
if(PYSOCK_SSL)
  find_package(Python3 COMPONENTS Interpreter)
  if(Python3_FOUND)
    add_test(NAME ssl.error_table_is_generated
      COMMAND "${Python3_EXECUTABLE}" "${PROJECT_SOURCE_DIR}/scripts/gen_ssl_error_table.py"
              /usr/include/openssl "${PROJECT_SOURCE_DIR}/src/ssl/error_table.inc")
    set_tests_properties(ssl.error_table_is_generated PROPERTIES SKIP_RETURN_CODE 77)
  endif()
endif()
