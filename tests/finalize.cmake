# test_finalize's exit scenarios each run in a fresh process (what a process registered with
# std::atexit before its first finalizer is part of the scenario), so they live in a helper.
add_executable(finalize_exit_helper ${CMAKE_CURRENT_SOURCE_DIR}/finalize_exit_helper.cpp)
target_link_libraries(finalize_exit_helper PRIVATE pysock::pysock)
pysock_warnings(finalize_exit_helper)
add_dependencies(test_finalize finalize_exit_helper)
target_compile_definitions(test_finalize PRIVATE
  PYSOCK_FINALIZE_EXIT_HELPER="$<TARGET_FILE:finalize_exit_helper>")
