// pysock/makefile.hpp: socket.makefile() for any socket-like type (urllib3's backport_makefile
// made generic): a pysock::socket, a TLS wrapper or a test double all get the same io stack.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pysock/io/file.hpp"
#include "pysock/io/raw.hpp"
#include "pysock/socket.hpp"  // socket::makefile() is defined with makefile()

namespace pysock {

// makefile()'s keyword arguments. buffering: nullopt or negative → 8192; 0 → unbuffered (binary
// only); 1 is a 1-byte buffer, not line buffering (gh-75245). encoding (default UTF-8), errors
// (default strict) and newline apply to text modes and are ignored in binary modes.
struct makefile_options {
  std::optional<int> buffering = {};
  std::optional<std::string> encoding = {};
  std::optional<std::string> errors = {};
  std::optional<std::string> newline = {};
};

namespace detail {

// What a mode string asks for (checked on its set of characters, like CPython).
struct makefile_mode {
  bool reading = false;
  bool writing = false;
  bool binary = false;
  std::string raw_mode;  // "r", "w" or "rw"
};

// value_error("invalid mode 'rt' (only r, w, b allowed)") unless every character is r, w or b.
makefile_mode parse_makefile_mode(std::string_view mode);

// Builds the layers above the raw object. If it throws, `raw` is destroyed with it, which gives
// the io reference back at once (CPython keeps it until the SocketIO is collected).
io::file build_makefile(std::unique_ptr<io::raw_io> raw, const makefile_mode& parsed,
                        std::string_view mode, const makefile_options& options);

}  // namespace detail

// socket.makefile(mode, buffering, encoding, errors, newline) for any socket_like S: a SocketIO
// (buffering 0, binary), a BufferedReader / BufferedWriter / BufferedRWPair (binary), or a
// TextIOWrapper over one of those whose mode() is `mode` as given. The file holds one io
// reference on the socket until it is closed or destroyed.
template <socket_like S>
[[nodiscard]] io::file makefile(S& sock, std::string_view mode = "r",
                                makefile_options options = {}) {
  auto parsed = detail::parse_makefile_mode(mode);
  auto raw = std::make_unique<io::socket_io<S>>(sock, parsed.raw_mode);
  return detail::build_makefile(std::move(raw), parsed, mode, options);
}

}  // namespace pysock
