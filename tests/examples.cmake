# test_examples drives the example programs; it needs them built and knows where they are.
if(TARGET test_examples AND TARGET echo_server)
  target_compile_definitions(test_examples PRIVATE
    PYSOCK_EXAMPLES_DIR="$<TARGET_FILE_DIR:echo_server>")
  add_dependencies(test_examples echo_server selector_echo_server fd_passing http_get tls_like
    quickstart tls_echo_server)
  target_link_libraries(test_examples PRIVATE pysock::ssl)  # the TLS examples' clients
endif()
