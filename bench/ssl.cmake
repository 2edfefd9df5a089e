# Programs that look inside pysock::ssl (src/ssl, the test hooks), each with a smoke run on the
# shared certificates that checks its output against `pass`.
function(pysock_ssl_bench name source pass)
  pysock_add_bench(${name} ${source})
  target_link_libraries(${name} PRIVATE pysock::ssl OpenSSL::SSL)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)
  if(PYSOCK_TEST)
    add_test(NAME bench.${name}.smoke COMMAND ${name} --certs ${PYSOCK_BENCH_CERTS} ${ARGN})
    set_tests_properties(bench.${name}.smoke PROPERTIES TIMEOUT 120
      PASS_REGULAR_EXPRESSION "${pass}" FIXTURES_REQUIRED bench_tls_certificates)
  endif()
endfunction()

# The cost of pysock::ssl's per-call SIGPIPE protection (reported in the issue 13 notes).
pysock_ssl_bench(pysock-ssl-sigpipe-cost ssl_sigpipe_cost.cpp "sigpipe guard: [0-9]+ ns"
                 --iterations 100)
# What an idle ssl_socket holds, with and without SSL_MODE_RELEASE_BUFFERS, beside bare OpenSSL.
pysock_ssl_bench(pysock-ssl-idle-memory ssl_idle_memory.cpp
                 "without SSL_MODE_RELEASE_BUFFERS: ssl_socket [0-9]+" --connections 20)
