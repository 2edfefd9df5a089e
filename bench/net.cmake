# W2 (socket::sendfile) and W5 (create_connection against create_server), with smoke runs.
pysock_add_bench(pysock-file-sender file_sender.cpp)
pysock_add_bench(pysock-connect-bench connect_bench.cpp)

if(PYSOCK_TEST)
  find_package(Python3 COMPONENTS Interpreter)
  if(Python3_FOUND)
    add_test(NAME bench.pysock-file-sender.smoke
             COMMAND Python3::Interpreter ${CMAKE_CURRENT_SOURCE_DIR}/smoke_file_sender.py
                     $<TARGET_FILE:pysock-file-sender>)
    set_tests_properties(bench.pysock-file-sender.smoke PROPERTIES TIMEOUT 60)
  endif()
  add_test(NAME bench.pysock-connect-bench.smoke
           COMMAND pysock-connect-bench --count 200 --max-seconds 10)
  set_tests_properties(bench.pysock-connect-bench.smoke PROPERTIES TIMEOUT 60
                       PASS_REGULAR_EXPRESSION "\"connections\":200,\"errors\":0,")
endif()
