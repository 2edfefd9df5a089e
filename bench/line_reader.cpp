// pysock-line-reader: the W1 reader of the shared harness over makefile().
//   --api readline       makefile("rb") + readline_into() a reused std::string
//   --api readline_view  makefile("rb") + readline_view() (zero copy)
//   --api text-utf8      makefile("r", encoding utf-8, newline None) + readline()
//   --api getline        std::getline on a std::istream over io::streambuf (makefile("rb"))
//   --buffering N        makefile's buffering (default: Python's 8192)
//   --fd FD              the connected socket to adopt
//   --tls --cafile PATH --server-name NAME
//                        W6: first a verifying TLS client handshake on the fd
//                        (create_default_context(cafile), server_hostname), then the same loop
//                        through makefile() over the ssl_socket
// Prints "ready", reads to EOF, then one JSON line with the checksum (lines, bytes, xor of each
// line's first byte), and with --tls the negotiated tls_version and cipher.
#include <cstdio>
#include <istream>
#include <string>

#include "cli.hpp"
#include "pysock/io/streambuf.hpp"
#include "pysock/makefile.hpp"
#include "tls.hpp"

namespace {

struct line_stats {
  unsigned long long lines = 0, bytes = 0;
  unsigned xr = 0;
  void add(char first, std::size_t size) {
    ++lines;
    bytes += size;
    xr ^= static_cast<unsigned char>(first);
  }
};

template <class NextLine>
void read_all(line_stats& stats, NextLine next) {
  for (;;) {
    auto line = next();
    if (line.empty()) return;
    stats.add(line[0], line.size());
  }
}

// makefile(mode) over the adopted socket, or over the TLS client on it (handshake done). The
// file keeps the connection open after the socket objects go (an io reference, as in Python).
pysock::io::file open_stream(const pysock_bench::arguments& args, std::string_view mode,
                             const pysock::makefile_options& options, std::string& tls_fields) {
  auto sock = pysock::socket::adopt(int(args.number("fd")));
  if (!args.flag("tls")) return sock.makefile(mode, options);
  auto context = pysock_bench::client_context(args);
  auto tls = pysock_bench::wrap_client(std::move(sock), context, args);
  tls_fields = pysock_bench::tls_json_fields(tls);
  return tls.makefile(mode, options);
}

}  // namespace

int read_lines(const pysock_bench::arguments& args) {
  const std::string api = args.text("api");
  pysock::makefile_options options;
  if (auto buffering = args.number("buffering", -1); buffering >= 0)
    options.buffering = int(buffering);
  const bool text = api == "text-utf8";
  if (text) options.encoding = "utf-8";
  std::string tls_fields;
  auto f = open_stream(args, text ? "r" : "rb", options, tls_fields);
  line_stats stats;
  std::puts("ready");
  std::fflush(stdout);
  const auto start = std::chrono::steady_clock::now();
  if (api == "readline" || text) {
    std::string line;  // reused: readline_into keeps its capacity, like std::getline
    read_all(stats, [&]() -> std::string_view {
      return f.readline_into(line) ? std::string_view(line) : std::string_view();
    });
  } else if (api == "readline_view") {
    read_all(stats, [&] { return f.readline_view(); });
  } else if (api == "getline") {
    pysock::io::streambuf buf(f);
    std::istream in(&buf);
    std::string line;
    while (std::getline(in, line)) {
      // std::getline drops the '\n': count it back unless the stream ended without one.
      const bool had_newline = !in.eof();
      stats.add(line.empty() ? '\n' : line[0], line.size() + (had_newline ? 1 : 0));
    }
  } else {
    throw std::invalid_argument("unknown --api " + api);
  }
  const double seconds = pysock_bench::seconds_since(start);
  std::printf(
      "{\"reader\":\"pysock-%s%s\",\"lines\":%llu,\"bytes\":%llu,\"xor\":%u,\"seconds\":%.6f%s}\n",
      tls_fields.empty() ? "" : "tls-", api.c_str(), stats.lines, stats.bytes, stats.xr, seconds,
      tls_fields.c_str());
  return 0;
}

int main(int argc, char** argv) {
  return pysock_bench::run([&] { return read_lines(pysock_bench::arguments(argc, argv)); });
}
