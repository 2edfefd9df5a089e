// tls_peer: a pysock TLS endpoint for the interop tests (test_tls_interop.py drives it against
// openssl s_server / s_client, CPython's ssl module, socat and pysock itself).
//
//   tls_peer client HOST PORT [options]   connect, wrap, handshake
//   tls_peer server [options]             listen on 127.0.0.1 port 0, print {"port": N}, accept
//                                         one connection through a wrapped listener
// options:
//   --cafile F          client: create_default_context(cafile=F); server: require a client
//                       certificate signed by F
//   --cert F --key F    load_cert_chain(F, key)
//   --hostname NAME     the client's server_hostname (default HOST)
//   --alpn A,B          set_alpn_protocols
//   --tls 1.2|1.3       minimum_version = maximum_version
//   --strict-eofs       suppress_ragged_eofs = false
//   --timeout S         settimeout (default 30: nothing here waits forever)
//
// After the handshake it prints one JSON line {"event": "handshake", ...} (or {"error": CLASS,
// "message": TEXT} and exits 1), then runs one command per stdin line, answering each with one
// JSON line: data is base64, errors are Python's class and str(e) (support/python_json.hpp).
//   send TEXT     sendall(TEXT + "\n")                 -> {"sent": N}
//   recv          recv(65536)                          -> {"recv": B64}
//   recvall       recv until b''                       -> {"recv": B64}
//   lines         makefile("rb"), readline until b''   -> {"lines": N, "bytes": N, "sha256": HEX}
//   info          the session                          -> {"version": ..., "cipher": ..., ...}
//   unwrap        unwrap()                             -> {"unwrapped": true}
//   close         close()                              -> {"closed": true}
// End of stdin closes the socket (no close_notify, as Python's close()) and exits 0.
#include <openssl/evp.h>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "pysock/io/file.hpp"
#include "pysock/makefile.hpp"
#include "pysock/net.hpp"
#include "pysock/ssl.hpp"
#include "support/python_json.hpp"

namespace {

using pysock_test::base64;
using pysock_test::quote;

struct options {
  std::string mode;
  std::string host;
  int port = 0;
  std::optional<std::string> cafile, cert, key, hostname;
  std::vector<std::string> alpn;
  std::optional<pysock::tls_version> version;
  bool suppress_ragged_eofs = true;
  double timeout = 30;
};

[[noreturn]] void usage() {
  std::cerr << "usage: tls_peer client HOST PORT [options] | tls_peer server [options]\n";
  std::exit(2);
}

std::vector<std::string> split(const std::string& text, char sep) {
  std::vector<std::string> parts;
  std::stringstream in(text);
  for (std::string part; std::getline(in, part, sep);)
    parts.push_back(part);
  return parts;
}

options parse(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  options o;
  std::size_t i = 0;
  const auto next = [&]() -> const std::string& { return ++i < args.size() ? args[i] : (usage(), args[0]); };
  if (args.empty()) usage();
  o.mode = args[0];
  if (o.mode == "client") {
    if (args.size() < 3) usage();
    o.host = args[1];
    o.port = std::stoi(args[2]);
    i = 2;
  } else if (o.mode != "server") {
    usage();
  }
  while (++i < args.size()) {
    const std::string& flag = args[i];
    if (flag == "--cafile") {
      o.cafile = next();
    } else if (flag == "--cert") {
      o.cert = next();
    } else if (flag == "--key") {
      o.key = next();
    } else if (flag == "--hostname") {
      o.hostname = next();
    } else if (flag == "--alpn") {
      o.alpn = split(next(), ',');
    } else if (flag == "--tls") {
      o.version = next() == "1.2" ? pysock::tls_version::tlsv1_2 : pysock::tls_version::tlsv1_3;
    } else if (flag == "--strict-eofs") {
      o.suppress_ragged_eofs = false;
    } else if (flag == "--timeout") {
      o.timeout = std::stod(next());
    } else {
      usage();
    }
  }
  return o;
}

pysock::ssl_context make_context(const options& o) {
  const bool client = o.mode == "client";
  pysock::ssl_context ctx =
      client ? pysock::create_default_context(pysock::purpose::server_auth, o.cafile)
             : pysock::ssl_context(pysock::ssl_protocol::tls_server);
  if (!client && o.cafile) {
    ctx.load_verify_locations(*o.cafile);
    ctx.verify_mode(pysock::verify_mode::cert_required);
  }
  if (o.cert) ctx.load_cert_chain(*o.cert, o.key);
  if (!o.alpn.empty()) ctx.set_alpn_protocols(o.alpn);
  if (o.version) {
    ctx.minimum_version(*o.version);
    ctx.maximum_version(*o.version);
  }
  return ctx;
}

pysock::ssl_socket connect(const options& o, pysock::ssl_context& ctx) {
  auto sock = pysock::create_connection(o.host, o.port, pysock::timeout(o.timeout));
  return ctx.wrap_socket(std::move(sock),
                         {.server_hostname = o.hostname.value_or(o.host),
                          .suppress_ragged_eofs = o.suppress_ragged_eofs});
}

pysock::ssl_socket accept(const options& o, pysock::ssl_context& ctx) {
  auto listener = pysock::create_server(pysock::inet_address{"127.0.0.1", 0});
  listener.settimeout(pysock::timeout(o.timeout));
  const auto port = std::get<pysock::inet_address>(listener.getsockname()).port;
  auto tls_listener = ctx.wrap_socket(
      std::move(listener), {.server_side = true, .suppress_ragged_eofs = o.suppress_ragged_eofs});
  std::cout << "{\"port\": " << port << "}" << std::endl;
  return tls_listener.accept().first;
}

std::string optional_text(const std::optional<std::string>& text) {
  return text ? quote(*text) : "null";
}

// The session as Python would print it: version(), cipher(), selected_alpn_protocol(), and the
// commonName of getpeercert()'s subject (null when the peer sent no certificate).
std::string info(const pysock::ssl_socket& s) {
  const auto cipher = s.cipher();
  std::optional<std::string> peer_cn;
  if (const auto cert = s.getpeercert()) {
    for (const auto& rdn : cert->subject)
      for (const auto& [key, value] : rdn)
        if (key == "commonName") peer_cn = value;
  }
  return "{\"version\": " + optional_text(s.version()) +
         ", \"cipher\": " + optional_text(cipher ? std::optional(cipher->name) : std::nullopt) +
         ", \"alpn\": " + optional_text(s.selected_alpn_protocol()) +
         ", \"peer_cn\": " + optional_text(peer_cn) + "}";
}

std::string sha256_hex(EVP_MD_CTX* digest) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_DigestFinal_ex(digest, out, &size);
  std::string hex;
  for (unsigned int k = 0; k < size; ++k) {
    char two[3];
    std::snprintf(two, sizeof two, "%02x", out[k]);
    hex += two;
  }
  return hex;
}

// Every line through makefile("rb") until b'', checksummed: the 100 MB test's reader.
std::string read_lines(pysock::ssl_socket& s) {
  auto file = s.makefile("rb");
  EVP_MD_CTX* digest = EVP_MD_CTX_new();
  EVP_DigestInit_ex(digest, EVP_sha256(), nullptr);
  std::uint64_t lines = 0, bytes = 0;
  try {
    for (std::string line; !(line = file.readline()).empty();) {
      ++lines;
      bytes += line.size();
      EVP_DigestUpdate(digest, line.data(), line.size());
    }
  } catch (...) {
    EVP_MD_CTX_free(digest);
    throw;
  }
  file.close();
  std::string hex = sha256_hex(digest);
  EVP_MD_CTX_free(digest);
  return "{\"lines\": " + std::to_string(lines) + ", \"bytes\": " + std::to_string(bytes) +
         ", \"sha256\": \"" + hex + "\"}";
}

std::string run(pysock::ssl_socket& s, const std::string& line) {
  const auto space = line.find(' ');
  const std::string command = line.substr(0, space);
  if (command == "send") {
    const std::string data = (space == std::string::npos ? "" : line.substr(space + 1)) + "\n";
    s.sendall(data);
    return "{\"sent\": " + std::to_string(data.size()) + "}";
  }
  if (command == "recv") return "{\"recv\": " + quote(base64(s.recv(65536))) + "}";
  if (command == "recvall") {
    std::string all;
    for (std::string chunk; !(chunk = s.recv(65536)).empty();)
      all += chunk;
    return "{\"recv\": " + quote(base64(all)) + "}";
  }
  if (command == "lines") return read_lines(s);
  if (command == "info") return info(s);
  if (command == "unwrap") return s.unwrap(), "{\"unwrapped\": true}";
  if (command == "close") return s.close(), "{\"closed\": true}";
  throw std::invalid_argument("unknown command " + command);
}

std::string error_line(std::exception_ptr error) {
  const auto e = pysock_test::python_error_of(error);
  return std::string("{\"error\": \"") + e.cls + "\", \"message\": " + quote(e.message) + "}";
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  std::optional<pysock::ssl_socket> s;
  try {
    auto ctx = make_context(o);
    s.emplace(o.mode == "client" ? connect(o, ctx) : accept(o, ctx));
    s->settimeout(pysock::timeout(o.timeout));
    std::cout << "{\"event\": \"handshake\", \"session\": " << info(*s) << "}" << std::endl;
  } catch (...) {
    std::cout << error_line(std::current_exception()) << std::endl;
    return 1;
  }
  for (std::string line; std::getline(std::cin, line);) {
    try {
      std::cout << run(*s, line) << std::endl;
    } catch (...) {
      std::cout << error_line(std::current_exception()) << std::endl;
    }
  }
  return 0;
}
