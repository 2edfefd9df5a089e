# The cost of pysock::ssl's per-call SIGPIPE protection (reported in the issue 13 notes).
pysock_add_bench(pysock-ssl-sigpipe-cost ssl_sigpipe_cost.cpp)
target_link_libraries(pysock-ssl-sigpipe-cost PRIVATE pysock::ssl)
target_include_directories(pysock-ssl-sigpipe-cost PRIVATE ${PROJECT_SOURCE_DIR}/src)
if(PYSOCK_TEST)
  add_test(NAME bench.pysock-ssl-sigpipe-cost.smoke
    COMMAND pysock-ssl-sigpipe-cost --certs ${PYSOCK_BENCH_CERTS} --iterations 100)
  set_tests_properties(bench.pysock-ssl-sigpipe-cost.smoke PROPERTIES
    TIMEOUT 120 PASS_REGULAR_EXPRESSION "sigpipe guard: [0-9]+ ns"
    FIXTURES_REQUIRED bench_tls_certificates)
endif()

# What an idle ssl_socket holds, with and without SSL_MODE_RELEASE_BUFFERS, beside bare OpenSSL.
pysock_add_bench(pysock-ssl-idle-memory ssl_idle_memory.cpp)
target_link_libraries(pysock-ssl-idle-memory PRIVATE pysock::ssl OpenSSL::SSL)
target_include_directories(pysock-ssl-idle-memory PRIVATE ${PROJECT_SOURCE_DIR}/src)
if(PYSOCK_TEST)
  add_test(NAME bench.pysock-ssl-idle-memory.smoke
    COMMAND pysock-ssl-idle-memory --certs ${PYSOCK_BENCH_CERTS} --connections 20)
  set_tests_properties(bench.pysock-ssl-idle-memory.smoke PROPERTIES
    TIMEOUT 120 PASS_REGULAR_EXPRESSION "without SSL_MODE_RELEASE_BUFFERS: ssl_socket [0-9]+"
    FIXTURES_REQUIRED bench_tls_certificates)
endif()
