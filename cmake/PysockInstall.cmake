# Install rules: headers, the library, a CMake package (pysock::pysock) and pysock.pc.
include(CMakePackageConfigHelpers)

install(TARGETS pysock EXPORT pysockTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/pysock DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(PYSOCK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/pysock)
install(EXPORT pysockTargets NAMESPACE pysock:: DESTINATION ${PYSOCK_CMAKE_DIR})
configure_package_config_file(cmake/pysockConfig.cmake.in
  ${PROJECT_BINARY_DIR}/pysockConfig.cmake INSTALL_DESTINATION ${PYSOCK_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/pysockConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/pysockConfig.cmake ${PROJECT_BINARY_DIR}/pysockConfigVersion.cmake
  DESTINATION ${PYSOCK_CMAKE_DIR})

configure_file(cmake/pysock.pc.in ${PROJECT_BINARY_DIR}/pysock.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pysock.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
