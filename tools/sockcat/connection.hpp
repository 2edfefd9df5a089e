// One connected peer, in plaintext or TLS: the relay moves bytes through this and never asks
// which it is.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <variant>

#include <pysock/io/file.hpp>
#include <pysock/socket.hpp>
#include <pysock/ssl.hpp>

#include "console.hpp"
#include "options.hpp"

namespace sockcat {

class connection {
 public:
  explicit connection(pysock::socket sock);
  // `sock` must be wrapped with close_notify_on_close (half_close() relies on it).
  explicit connection(pysock::ssl_socket sock);

  // 0 at the end: the peer's FIN, or its close_notify. A TLS peer that just closed the
  // transport raises pysock::ssl_eof_error (ragged EOF); what arrived before stays valid.
  std::size_t recv_into(std::span<std::byte> buffer);
  void sendall(std::span<const std::byte> data);
  std::uint64_t sendfile(const std::filesystem::path& path, std::uint64_t offset,
                         std::uint64_t count);
  // The socket read through makefile's text layer (over TLS when this is TLS).
  pysock::io::file text_reader(const options& opt);

  // No more to send, keep reading: shutdown(SHUT_WR); over TLS close_notify first.
  void half_close();
  // Ends both directions at once, also a send or receive in progress; never throws.
  void stop() noexcept;

  std::string repr() const;
  // -v: the negotiated TLS version, cipher, ALPN protocol and the peer's certificate.
  void describe_tls(console& out) const;

 private:
  std::variant<pysock::socket, pysock::ssl_socket> sock_;
  // TLS: the reading side, which outlives half_close()'s close() of the ssl_socket (it keeps
  // the fd and the TLS session), as a file made by makefile() would.
  std::optional<pysock::ssl_io_ref> tls_reader_;
  int fd_;
};

}  // namespace sockcat
