# The test hooks of src/detail/test_hooks.hpp must not be exported from a shared libpysock. The
# check reads the dynamic symbol table of a shared build: the library itself when PYSOCK_SHARED,
# otherwise a shared library linked from the same object files (compiled the same way: PIC,
# default visibility), which costs one link instead of a second build.
if(PYSOCK_SHARED)
  set(PYSOCK_EXPORTS_LIBRARY pysock)
else()
  add_library(pysock_exports_probe SHARED $<TARGET_OBJECTS:pysock>)
  target_link_libraries(pysock_exports_probe PRIVATE Threads::Threads)
  set(PYSOCK_EXPORTS_LIBRARY pysock_exports_probe)
endif()
add_test(NAME exports.no_test_hooks
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/exports/check.sh $<TARGET_FILE:${PYSOCK_EXPORTS_LIBRARY}>)
