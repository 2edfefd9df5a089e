# Load (issue 8): the echo_server example under many concurrent clients through makefile("rwb").
# Full run: pysock-echo-load --server examples/echo_server --clients 1000 --bytes 10485760
if(TARGET echo_server)
  pysock_add_bench(pysock-echo-load echo_load.cpp)
  target_include_directories(pysock-echo-load PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  if(PYSOCK_TEST)
    add_test(NAME bench.pysock-echo-load.smoke
             COMMAND pysock-echo-load --server $<TARGET_FILE:echo_server> --clients 8
                     --bytes 131072)
    set_tests_properties(bench.pysock-echo-load.smoke PROPERTIES TIMEOUT 120
                         PASS_REGULAR_EXPRESSION "\"errors\":0,")
  endif()
endif()
