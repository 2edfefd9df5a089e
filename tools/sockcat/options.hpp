// sockcat's command line: what the user asked for, checked before any socket is opened.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <pysock/address.hpp>
#include <pysock/socket.hpp>
#include <pysock/ssl.hpp>

namespace sockcat {

// --ssl and its companions (ncat's spelling).
struct tls_options {
  bool enabled = false;  // --ssl
  // --ssl-verify (true) / --no-ssl-verify (false). Unset: connecting verifies the server's
  // certificate and name (unlike ncat); listening asks for no client certificate.
  std::optional<bool> verify;
  std::optional<std::filesystem::path> trustfile, cert, key;
  std::optional<std::string> servername;  // connecting: SNI and the name checked (else HOST)
  std::vector<std::string> alpn;
  std::optional<std::string> ciphers;
  pysock::tls_version minimum_version = pysock::tls_version::tlsv1_2;
};

struct options {
  bool listen = false;              // -l: accept a client instead of connecting
  bool keep_open = false;           // -k: with -l, serve clients one after another
  std::optional<std::string> host;  // connect: required; listen: the address to bind (else any)
  int port = 0;
  // -U: a Unix socket path as the user wrote it ("@name" is an abstract name).
  std::optional<std::string> unix_path;
  pysock::timeout timeout;  // -w: bounds connect(), or accept() with -l
  std::optional<std::chrono::duration<double>> happy_eyeballs_delay;
  std::optional<pysock::address> source_address;   // -s HOST[:PORT]
  std::optional<std::filesystem::path> send_file;  // sent instead of stdin

  // Text mode (any of these set): what is read from the socket is decoded, newlines translated.
  std::optional<std::string> encoding, errors, newline;
  std::optional<std::uint64_t> lines;  // stop after this many lines

  tls_options tls;

  bool progress = false;  // a progress line on stderr
  bool verbose = false;   // -v: sockets' reprs and each step on stderr

  bool verifies_peer() const { return tls.verify.value_or(!listen); }
  bool text_mode() const { return encoding || errors || newline || lines; }
};

// The Unix socket address for a path as typed: "@name" → the abstract name "\0name".
pysock::unix_address unix_address_of(const std::string& typed_path);

// Parses argv. Returns the options, or the exit code to leave with at once: 0 after --help or
// --version, 2 after a usage error (CLI11's message and the usage on stderr).
std::variant<options, int> parse_command_line(int argc, char** argv);

}  // namespace sockcat
