# The cost of pysock::ssl's per-call SIGPIPE protection (reported in the issue 13 notes).
if(TARGET pysock::ssl)
  pysock_add_bench(pysock-ssl-sigpipe-cost ssl_sigpipe_cost.cpp)
  target_link_libraries(pysock-ssl-sigpipe-cost PRIVATE pysock::ssl)
  target_include_directories(pysock-ssl-sigpipe-cost PRIVATE ${PROJECT_SOURCE_DIR}/src)
  if(PYSOCK_TEST)
    add_test(NAME bench.pysock-ssl-sigpipe-cost.smoke
      COMMAND ${CMAKE_COMMAND} -E env sh -c
        "${PROJECT_SOURCE_DIR}/tests/support/make_tls_certificates.sh certs && $<TARGET_FILE:pysock-ssl-sigpipe-cost> --certs certs --iterations 100"
      WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
    set_tests_properties(bench.pysock-ssl-sigpipe-cost.smoke PROPERTIES
      TIMEOUT 120 PASS_REGULAR_EXPRESSION "sigpipe guard: [0-9]+ ns")
  endif()
endif()
