# How users consume pysock: find_package against an install, add_subdirectory, FetchContent from
# the checkout, and pkg-config. Each builds tests/packaging/consumer and runs it. Labelled
# "packaging" so the sanitizer presets can leave them out (they rebuild pysock without them).
foreach(mode find_package add_subdirectory fetchcontent pkg-config)
  add_test(NAME packaging.${mode}
    COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/packaging/run.sh ${mode} ${PROJECT_SOURCE_DIR}
            ${CMAKE_CURRENT_BINARY_DIR}/packaging/${mode} ${CMAKE_CXX_COMPILER})
  set_tests_properties(packaging.${mode} PROPERTIES
    LABELS packaging TIMEOUT 600 PASS_REGULAR_EXPRESSION "consumer ok")
  if(PYSOCK_SSL)
    add_test(NAME packaging.ssl.${mode}
      COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/packaging/run.sh ${mode} ${PROJECT_SOURCE_DIR}
              ${CMAKE_CURRENT_BINARY_DIR}/packaging/ssl-${mode} ${CMAKE_CXX_COMPILER} ssl)
    set_tests_properties(packaging.ssl.${mode} PROPERTIES
      LABELS packaging TIMEOUT 600 PASS_REGULAR_EXPRESSION "consumer ok")
  endif()
endforeach()
