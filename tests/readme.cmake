# The README's C++ example compiles and runs (docs that rot are worse than none).
add_test(NAME readme.example
  COMMAND ${CMAKE_COMMAND} -DREADME=${PROJECT_SOURCE_DIR}/README.md
          -DWORK=${CMAKE_CURRENT_BINARY_DIR}/readme -DCXX=${CMAKE_CXX_COMPILER}
          -DINCLUDE=${PROJECT_SOURCE_DIR}/include -DLIBRARY=$<TARGET_FILE:pysock>
          -P ${CMAKE_CURRENT_SOURCE_DIR}/support/readme_example.cmake)
set_tests_properties(readme.example PROPERTIES TIMEOUT 120 LABELS packaging
                     PASS_REGULAR_EXPRESSION "timed out\nGrüß Gott\nsecond line")
