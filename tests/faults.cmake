# test_faults replaces libc's socket calls with fault-injecting ones (tests/support/faults.cpp),
# for its executable only.
if(TARGET test_faults)
  target_sources(test_faults PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/support/faults.cpp)
  target_link_libraries(test_faults PRIVATE ${CMAKE_DL_LIBS})
endif()
