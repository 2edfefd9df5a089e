# Install rules: headers, the libraries, a CMake package (pysock::pysock, component ssl:
# pysock::ssl) and pysock.pc / pysock-ssl.pc.
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

# pysock.pc and pysock-ssl.pc find their prefix from where they lie (${pcfiledir}), so an install
# made with `cmake --install --prefix DIR` (packagers, ~/.local) or moved later still gives working
# flags.
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

if(PYSOCK_SSL)
  # Its own export set, loaded by find_package(pysock COMPONENTS ssl) after finding OpenSSL.
  install(TARGETS pysock-ssl EXPORT pysockSslTargets
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
  install(EXPORT pysockSslTargets NAMESPACE pysock:: DESTINATION ${PYSOCK_CMAKE_DIR})
  # A static pysock-ssl needs libssl on the consumer's link line; a shared one links it itself.
  if(PYSOCK_SHARED)
    set(PYSOCK_SSL_PC_REQUIRES "pysock")
    set(PYSOCK_SSL_PC_REQUIRES_PRIVATE "libssl >= 3.0")
  else()
    set(PYSOCK_SSL_PC_REQUIRES "pysock, libssl >= 3.0, libcrypto >= 3.0")
    set(PYSOCK_SSL_PC_REQUIRES_PRIVATE "")
  endif()
  configure_file(cmake/pysock-ssl.pc.in ${PROJECT_BINARY_DIR}/pysock-ssl.pc @ONLY)
  install(FILES ${PROJECT_BINARY_DIR}/pysock-ssl.pc DESTINATION ${PYSOCK_PC_DIR})
endif()

configure_file(cmake/pysock.pc.in ${PROJECT_BINARY_DIR}/pysock.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pysock.pc DESTINATION ${PYSOCK_PC_DIR})
