# pysock::ssl (library pysock-ssl): Python's ssl module on OpenSSL 3. A target of its own so that
# the core needs no OpenSSL; OpenSSL is a private dependency (no public header includes it).
find_package(OpenSSL 3.0 REQUIRED)

file(GLOB PYSOCK_SSL_SOURCES CONFIGURE_DEPENDS src/ssl/*.cpp)
if(PYSOCK_SHARED)
  add_library(pysock-ssl SHARED ${PYSOCK_SSL_SOURCES})
  set_target_properties(pysock-ssl PROPERTIES
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
    CXX_VISIBILITY_PRESET default)
else()
  add_library(pysock-ssl STATIC ${PYSOCK_SSL_SOURCES})
endif()
add_library(pysock::ssl ALIAS pysock-ssl)
target_include_directories(pysock-ssl PRIVATE ${PROJECT_SOURCE_DIR}/src)
target_link_libraries(pysock-ssl PUBLIC pysock PRIVATE OpenSSL::SSL OpenSSL::Crypto)
set_target_properties(pysock-ssl PROPERTIES POSITION_INDEPENDENT_CODE ON EXPORT_NAME ssl)
pysock_warnings(pysock-ssl)
