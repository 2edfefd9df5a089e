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

# pysock.pc finds its prefix from where it lies (${pcfiledir}), so an install made with
# `cmake --install --prefix DIR` (packagers, ~/.local) or moved later still gives working flags.
# An absolute LIBDIR or INCLUDEDIR is kept as given.
set(PYSOCK_PC_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
if(IS_ABSOLUTE "${PYSOCK_PC_DIR}")
  set(PYSOCK_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH pysock_pc_up "/prefix/${PYSOCK_PC_DIR}" "/prefix")
  set(PYSOCK_PC_PREFIX "\${pcfiledir}/${pysock_pc_up}")
endif()
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
    set(PYSOCK_PC_${kind} "${CMAKE_INSTALL_${kind}}")
  else()
    set(PYSOCK_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
  endif()
endforeach()
configure_file(cmake/pysock.pc.in ${PROJECT_BINARY_DIR}/pysock.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pysock.pc DESTINATION ${PYSOCK_PC_DIR})
