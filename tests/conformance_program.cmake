# pysock-conform: the C++ side of the CPython differential test (tests/conformance.cmake runs it).
# With pysock::ssl it also runs the "tls": true scenarios over pysock's ssl_socket.
add_executable(pysock-conform ${CMAKE_CURRENT_LIST_DIR}/conformance/pysock_conform.cpp)
target_include_directories(pysock-conform PRIVATE ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(pysock-conform PRIVATE pysock::pysock Threads::Threads)
if(TARGET pysock::ssl)
  target_link_libraries(pysock-conform PRIVATE pysock::ssl)
  target_compile_definitions(pysock-conform PRIVATE PYSOCK_TEST_WITH_SSL)
endif()
pysock_warnings(pysock-conform)
