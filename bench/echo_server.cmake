# W9 (issue 18): the selector echo server of examples/ under the harness's name, with a smoke run
# that drives it as the harness does and checks every byte came back.
pysock_add_bench(pysock-echo-server ${PROJECT_SOURCE_DIR}/examples/selector_echo_server.cpp)
if(PYSOCK_TEST)
  find_package(Python3 COMPONENTS Interpreter)
  if(Python3_FOUND)
    add_test(NAME bench.pysock-echo-server.smoke
             COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/smoke_echo_server.py
                     $<TARGET_FILE:pysock-echo-server>)
    set_tests_properties(bench.pysock-echo-server.smoke PROPERTIES TIMEOUT 60)
  endif()
endif()
