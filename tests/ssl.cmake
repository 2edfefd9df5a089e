# test_ssl (tests/test_ssl.cpp) links pysock::ssl; its certificates come from
# support/make_tls_certificates.sh, made on first use (see support/tls_certificates.hpp).
if(TARGET test_ssl)
  target_link_libraries(test_ssl PRIVATE pysock::ssl)
endif()
