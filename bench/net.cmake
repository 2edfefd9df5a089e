# W2 (socket::sendfile) and W5 (create_connection against create_server), with smoke runs; the
# same programs run W7 and W8 over TLS (--tls, issue 16).
pysock_add_bench(pysock-file-sender file_sender.cpp)
pysock_add_bench(pysock-connect-bench connect_bench.cpp)
target_link_libraries(pysock-file-sender PRIVATE pysock::ssl)
target_link_libraries(pysock-connect-bench PRIVATE pysock::ssl)

if(PYSOCK_TEST)
  find_package(Python3 COMPONENTS Interpreter)
  if(Python3_FOUND)
    add_test(NAME bench.pysock-file-sender.smoke
             COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/smoke_file_sender.py
                     $<TARGET_FILE:pysock-file-sender>)
    set_tests_properties(bench.pysock-file-sender.smoke PROPERTIES TIMEOUT 60)
    add_test(NAME bench.pysock-file-sender.tls.smoke
             COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/smoke_file_sender.py
                     $<TARGET_FILE:pysock-file-sender> ${PYSOCK_BENCH_CERTS})
    set_tests_properties(bench.pysock-file-sender.tls.smoke PROPERTIES TIMEOUT 60
                         FIXTURES_REQUIRED bench_tls_certificates)
  endif()
  add_test(NAME bench.pysock-connect-bench.smoke
           COMMAND pysock-connect-bench --count 200 --max-seconds 10)
  set_tests_properties(bench.pysock-connect-bench.smoke PROPERTIES TIMEOUT 60
                       PASS_REGULAR_EXPRESSION "\"connections\":200,\"errors\":0,")
  add_test(NAME bench.pysock-connect-bench.tls.smoke
           COMMAND pysock-connect-bench --count 50 --max-seconds 30 --tls
                   --cert ${PYSOCK_BENCH_CERTS}/server.pem --key ${PYSOCK_BENCH_CERTS}/server.key
                   --cafile ${PYSOCK_BENCH_CERTS}/ca.pem --server-name localhost)
  set_tests_properties(bench.pysock-connect-bench.tls.smoke PROPERTIES TIMEOUT 60
    FIXTURES_REQUIRED bench_tls_certificates
    PASS_REGULAR_EXPRESSION "\"connections\":50,\"errors\":0,.*\"tls_version\":\"TLSv1.3\"")
endif()
