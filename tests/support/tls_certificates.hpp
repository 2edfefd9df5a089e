// The TLS tests' certificates (tests/support/make_tls_certificates.sh), made once per build
// directory with the openssl CLI and shared by every test process (a lock file serialises the
// first use).
#pragma once

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <filesystem>
#include <stdexcept>
#include <string>

#include "support/helpers.hpp"

namespace pysock_test {

// The directory holding ca.pem, server.pem, server.key, ... (see the script for the list).
inline const std::filesystem::path& tls_certificates() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path root = PYSOCK_TEST_BINARY_DIR;
    const auto target = root / "tls-certificates";
    const int lock =
        ::open((root / "tls-certificates.lock").c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
    if (lock < 0 || ::flock(lock, LOCK_EX) != 0)
      throw std::runtime_error("cannot lock tls-certificates.lock");
    if (!std::filesystem::exists(target / "done")) {
      std::filesystem::remove_all(target);
      const auto result = run_command(std::string(PYSOCK_SOURCE_DIR) +
                                      "/tests/support/make_tls_certificates.sh " + target.string());
      if (result.exit_code != 0) {
        ::close(lock);
        throw std::runtime_error("make_tls_certificates.sh failed: " + result.output);
      }
    }
    ::close(lock);
    return target;
  }();
  return dir;
}

inline std::string tls_file(const std::string& name) {
  return (tls_certificates() / name).string();
}

}  // namespace pysock_test
