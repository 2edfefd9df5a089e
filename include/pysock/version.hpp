// pysock version: the single place it is defined (CMake reads it from here).
#pragma once

#define PYSOCK_VERSION_MAJOR 0
#define PYSOCK_VERSION_MINOR 1
#define PYSOCK_VERSION_PATCH 0

namespace pysock {
inline constexpr int version_major = PYSOCK_VERSION_MAJOR;
inline constexpr int version_minor = PYSOCK_VERSION_MINOR;
inline constexpr int version_patch = PYSOCK_VERSION_PATCH;
}  // namespace pysock
