// One connection's life (plaintext or TLS): stdin (or --send-file) goes to the socket on a second
// thread while this thread copies the socket to stdout, until the peer closes.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <vector>

#include "connection.hpp"
#include "console.hpp"
#include "options.hpp"

namespace sockcat {

// sockcat's stdin, shared by the connections that -k serves in turn: once it has ended, later
// clients get an immediate half-close instead of a second wait for input.
class stdin_reader {
 public:
  // The next chunk of stdin (empty at its end), or nullopt when `wake_fd` became readable
  // first. The chunk stays valid until the next call.
  std::optional<std::span<const std::byte>> read(int wake_fd);

 private:
  bool at_eof_ = false;
  std::vector<std::byte> buffer_ = std::vector<std::byte>(64 * 1024);
};

// Relays until the peer closes (or --lines were printed). Throws failure on errors.
void relay(connection& conn, const options& opt, stdin_reader& input, console& out);

}  // namespace sockcat
