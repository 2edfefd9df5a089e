# design.md "Layers", checked on the sources (tests/layering/check.py): the io headers compile
# alone without socket.hpp's dependencies, no include goes up or across the layer graph, and the
# io sources build without RTTI (their layers find each other through io_base::fast_paths()).
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(_layering ${CMAKE_CURRENT_SOURCE_DIR}/layering/check.py)
add_test(NAME layering.io_headers_stand_alone
  COMMAND Python3::Interpreter ${_layering} io-headers ${CMAKE_CXX_COMPILER} ${PROJECT_SOURCE_DIR})
add_test(NAME layering.include_graph
  COMMAND Python3::Interpreter ${_layering} graph ${PROJECT_SOURCE_DIR})
add_test(NAME layering.io_without_rtti
  COMMAND Python3::Interpreter ${_layering} no-rtti ${CMAKE_CXX_COMPILER} ${PROJECT_SOURCE_DIR})
set_tests_properties(layering.io_headers_stand_alone layering.include_graph
  layering.io_without_rtti PROPERTIES TIMEOUT 300)
