# The test hooks of src/detail/test_hooks.hpp must not be exported from a shared libpysock or
# libpysock-ssl (which defines the TLS ones). The check reads the dynamic symbol table of a shared
# build: the libraries themselves when PYSOCK_SHARED, otherwise a shared library linked from the
# same object files (compiled the same way: PIC, default visibility), which costs one link
# instead of a second build.
if(PYSOCK_SHARED)
  set(PYSOCK_EXPORTS_LIBRARIES $<TARGET_FILE:pysock>)
  if(TARGET pysock-ssl)
    list(APPEND PYSOCK_EXPORTS_LIBRARIES $<TARGET_FILE:pysock-ssl>)
  endif()
else()
  add_library(pysock_exports_probe SHARED $<TARGET_OBJECTS:pysock>)
  target_link_libraries(pysock_exports_probe PRIVATE Threads::Threads)
  if(TARGET pysock-ssl)
    target_sources(pysock_exports_probe PRIVATE $<TARGET_OBJECTS:pysock-ssl>)
    target_link_libraries(pysock_exports_probe PRIVATE OpenSSL::SSL OpenSSL::Crypto)
  endif()
  set(PYSOCK_EXPORTS_LIBRARIES $<TARGET_FILE:pysock_exports_probe>)
endif()
add_test(NAME exports.no_test_hooks
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/exports/check.sh ${PYSOCK_EXPORTS_LIBRARIES})
