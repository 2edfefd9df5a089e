# The tests that count allocations or thrown exceptions link the counting hooks of tests/support,
# and only they: the other binaries keep the runtime's (and the sanitizers') own operator new.
target_sources(test_selectors PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/support/allocations.cpp)
foreach(test test_makefile test_socket)
  target_sources(${test} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/support/exceptions.cpp)
endforeach()
