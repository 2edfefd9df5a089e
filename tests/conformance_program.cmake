# pysock-conform: the C++ side of the CPython differential test (tests/conformance.cmake runs it).
add_executable(pysock-conform ${CMAKE_CURRENT_LIST_DIR}/conformance/pysock_conform.cpp)
target_link_libraries(pysock-conform PRIVATE pysock::pysock Threads::Threads)
pysock_warnings(pysock-conform)
