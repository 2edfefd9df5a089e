// pysock-conform: the pysock side of the differential test against CPython (protocol in
// conformance.md, Python side in reference.py). Reads one JSON scenario per line on stdin, runs it
// through an AF_UNIX socketpair + pysock::makefile, and writes one JSON answer per line.
// Built with pysock::ssl (PYSOCK_TEST_WITH_SSL), it also runs "tls": true scenarios over pysock's
// ssl_socket: usage pysock-conform [--tls-dir DIR].
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "pysock/io/text.hpp"
#include "pysock/makefile.hpp"
#include "pysock/socket.hpp"
#include "support/python_json.hpp"

namespace {

using pysock_test::base64;
using pysock_test::quote;

// --- a small JSON value, parser and writer (ensure_ascii output, like json.dumps) -------------

struct json;
using json_array = std::vector<json>;
using json_object = std::map<std::string, json>;
struct json {
  std::variant<std::nullptr_t, bool, double, std::string, json_array, json_object> v;
  bool is_null() const { return std::holds_alternative<std::nullptr_t>(v); }
  const std::string& str() const { return std::get<std::string>(v); }
  double num() const { return std::get<double>(v); }
  const json_array& arr() const { return std::get<json_array>(v); }
  const json* get(const std::string& key) const {
    auto& o = std::get<json_object>(v);
    auto it = o.find(key);
    return it == o.end() ? nullptr : &it->second;
  }
};

void append_utf8(std::string& out, std::uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {  // lone surrogates too: generalized UTF-8, as pysock's codecs
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

class parser {
 public:
  explicit parser(std::string_view text) : s_(text) {}
  json parse() {
    skip();
    char c = s_.at(i_);
    if (c == '{') return object();
    if (c == '[') return array();
    if (c == '"') return json{string()};
    if (s_.compare(i_, 4, "null") == 0) return i_ += 4, json{nullptr};
    if (s_.compare(i_, 4, "true") == 0) return i_ += 4, json{true};
    if (s_.compare(i_, 5, "false") == 0) return i_ += 5, json{false};
    std::size_t used = 0;
    double d = std::stod(std::string(s_.substr(i_, 40)), &used);
    i_ += used;
    return json{d};
  }

 private:
  void skip() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  json object() {
    json_object o;
    ++i_;
    for (skip(); s_.at(i_) != '}'; skip()) {
      std::string key = (skip(), string());
      skip();
      ++i_;  // ':'
      o[key] = parse();
      skip();
      if (s_.at(i_) == ',') ++i_;
    }
    ++i_;
    return json{std::move(o)};
  }
  json array() {
    json_array a;
    ++i_;
    for (skip(); s_.at(i_) != ']'; skip()) {
      a.push_back(parse());
      skip();
      if (s_.at(i_) == ',') ++i_;
    }
    ++i_;
    return json{std::move(a)};
  }
  std::uint32_t hex4() {
    auto v = std::uint32_t(std::stoul(std::string(s_.substr(i_, 4)), nullptr, 16));
    i_ += 4;
    return v;
  }
  std::string string() {
    std::string out;
    ++i_;
    while (s_.at(i_) != '"') {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      char e = s_.at(i_++);
      switch (e) {
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'u': {
          std::uint32_t cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && s_.compare(i_, 2, "\\u") == 0) {
            std::size_t save = i_;
            i_ += 2;
            std::uint32_t low = hex4();
            if (low >= 0xDC00 && low < 0xE000) {
              cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            } else {
              i_ = save;
            }
          }
          append_utf8(out, cp);
          break;
        }
        default:
          out += e;
      }
    }
    ++i_;
    return out;
  }
  std::string_view s_;
  std::size_t i_ = 0;
};

std::string unbase64(std::string_view text) {
  std::string out;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = c >= 'A' && c <= 'Z'   ? c - 'A'
            : c >= 'a' && c <= 'z' ? c - 'a' + 26
            : c >= '0' && c <= '9' ? c - '0' + 52
            : c == '+'             ? 62
            : c == '/'             ? 63
                                   : -1;
    if (v < 0) continue;
    acc = (acc << 6) | std::uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xFF);
    }
  }
  return out;
}

// --- the scenario ----------------------------------------------------------------------------

// The far end of the socketpair: sends the feed and collects what the tested side sends
// (plaintext: over TLS it is the TLS server and decrypts).
class peer {
 public:
  explicit peer(int fd) : fd_(fd) {}
  peer(const peer&) = delete;
  ~peer() {
    if (!tls_) ::close(fd_);
  }
#ifdef PYSOCK_TEST_WITH_SSL
  void use_tls(pysock::ssl_socket server) {
    tls_.emplace(std::move(server));
  }
#endif

  // The whole feed before any op runs, then (close_feed) EOF: over TLS one sendall (records of
  // at most 16 KiB) and a close_notify (one SSL_shutdown that does not wait for the answer)
  // before the TCP shutdown, keeping TLS for reading.
  void send_feed(const std::string& feed, bool close_feed) {
#ifdef PYSOCK_TEST_WITH_SSL
    if (tls_) {
      tls_->settimeout(io_limit);
      tls_->sendall(feed);
      tls_->settimeout(std::chrono::seconds(0));
      if (close_feed) send_close_notify();
    }
#endif
    for (std::size_t sent = 0; !tls_ && sent < feed.size();) {
      ssize_t n = ::send(fd_, feed.data() + sent, feed.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += std::size_t(n);
    }
    if (close_feed) ::shutdown(fd_, SHUT_WR);
  }
  const std::string& recv_so_far() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
    drain_available();
    while (!eof_ && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 2) <= 0) break;
      drain_available();
    }
    return received_;
  }
  void drain_until_eof() {
    auto deadline = std::chrono::steady_clock::now() + io_limit;
    while (!eof_ && std::chrono::steady_clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      ::poll(&p, 1, 100);
      drain_available();
    }
  }
  const std::string& received() const {
    return received_;
  }

 private:
  static constexpr std::chrono::seconds io_limit{5};

  void drain_available() {
    while (!eof_ && receive_some()) {
    }
  }
  // One non-blocking receive: false when nothing is there now. ECONNRESET is end of data, and
  // over TLS so is a failed record (the tested side may vanish mid-record).
  bool receive_some() {
    char buf[65536];
#ifdef PYSOCK_TEST_WITH_SSL
    if (tls_) {
      try {
        auto n = tls_->recv_into(std::as_writable_bytes(std::span(buf)));
        eof_ = n == 0;
        received_.append(buf, n);
        return true;
      } catch (const pysock::ssl_want_read_error&) {
        return false;
      } catch (const pysock::ssl_want_write_error&) {
        return false;
      } catch (const pysock::os_error&) {
        eof_ = true;
        return true;
      }
    }
#endif
    ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return false;
    eof_ = n <= 0;
    if (n > 0) received_.append(buf, std::size_t(n));
    return true;
  }
#ifdef PYSOCK_TEST_WITH_SSL
  void send_close_notify() {
    try {
      tls_->unwrap();
    } catch (const pysock::ssl_want_read_error&) {
      return;  // close_notify is out, the answer is not awaited
    }
    throw std::runtime_error("the tested side answered close_notify before it was sent");
  }
  std::optional<pysock::ssl_socket> tls_;
#else
  static constexpr bool tls_ = false;  // a build without pysock::ssl
#endif
  int fd_;
  std::string received_;
  bool eof_ = false;
};

enum class kind { raw, reader, writer, pair, text };

kind kind_of(const pysock::io::file& f) {
  auto& s = f.stream();
  if (dynamic_cast<const pysock::io::text_io_wrapper*>(&s)) return kind::text;
  if (dynamic_cast<const pysock::io::buffered_reader*>(&s)) return kind::reader;
  if (dynamic_cast<const pysock::io::buffered_writer*>(&s)) return kind::writer;
  if (dynamic_cast<const pysock::io::buffered_rw_pair*>(&s)) return kind::pair;
  return kind::raw;
}

struct skip_rest {
  std::string answer;
};

template <class Socket>
struct scenario {
  Socket& sock;
  peer& other;
  int fd;
  pysock::io::file file;
  kind k = kind::raw;

  bool text() const { return k == kind::text; }
  std::string value(const std::string& data) const {
    return text() ? quote(data) : quote(base64(data));
  }
  std::string data_of(const json& item) const { return text() ? item.str() : unbase64(item.str()); }
  static std::ptrdiff_t size_of(const json& arg) { return std::ptrdiff_t(arg.num()); }
  [[noreturn]] static void type_error(const char* what) { throw pysock::io::type_error(what); }

  std::string run(const json_array& op) {
    const std::string& name = op.at(0).str();
    const json* arg = op.size() > 1 ? &op[1] : nullptr;
    bool none = arg && arg->is_null();
    if (name == "read") {
      if (none && (k == kind::raw || k == kind::writer)) type_error("None");
      auto r = file.read(arg && !none ? size_of(*arg) : -1);
      return r ? value(*r) : "null";
    }
    if (name == "read1") {
      if (none) type_error("None");
      return value(file.read1(arg ? size_of(*arg) : -1));
    }
    if (name == "peek") {
      if (none) type_error("None");
      return value(file.peek(arg ? size_of(*arg) : 0));
    }
    if (name == "readinto" || name == "readinto1") {
      std::string buf(std::size_t(size_of(*arg)), '\0');
      const auto span = std::as_writable_bytes(std::span(buf.data(), buf.size()));
      auto n = name == "readinto" ? file.readinto(span) : file.readinto1(span);
      return n ? quote(base64(buf.substr(0, *n))) : "null";
    }
    if (name == "readline") {
      if (none && k == kind::text) type_error("None");
      return value(file.readline(arg && !none ? size_of(*arg) : -1));
    }
    if (name == "readlines") {
      std::string out = "[";
      for (auto& line : file.readlines(arg && !none ? size_of(*arg) : -1)) {
        out += (out.size() > 1 ? ", " : "") + value(line);
      }
      return out + "]";
    }
    if (name == "write") {
      if (none && k != kind::raw) type_error("None");
      if (none) {  // SocketIO checks closed and writable before send() rejects None
        if (file.closed()) throw pysock::value_error("I/O operation on closed file.");
        if (!file.writable())
          throw pysock::unsupported_operation("File or stream is not writable.");
        type_error("None");
      }
      auto n = file.write(data_of(*arg));
      return n ? std::to_string(*n) : "null";
    }
    if (name == "writelines") {
      const json_array* list = &op;
      std::size_t first = 1;
      if (op.size() == 2 && std::holds_alternative<json_array>(op[1].v))
        list = &op[1].arr(), first = 0;
      file.writelines(std::span<const std::string>());  // the closed check comes first
      for (std::size_t i = first; i < list->size(); ++i) {
        if ((*list)[i].is_null()) type_error("None");
        file.write(data_of((*list)[i]));
      }
      return "null";
    }
    if (name == "flush") return file.flush(), "null";
    if (name == "close") return file.close(), "null";
    if (name == "attr") return attr(arg->str());
    if (name == "sock_close") return sock.close(), "null";
    if (name == "sock_alive") return sock.fileno() != -1 ? "true" : "false";
    if (name == "peer_recv") return quote(base64(other.recv_so_far()));
    throw std::runtime_error("unknown op " + name);
  }

  std::string attr(const std::string& name) {
    if (name == "closed") return file.closed() ? "true" : "false";
    if (name == "readable") return file.readable() ? "true" : "false";
    if (name == "writable") return file.writable() ? "true" : "false";
    if (name == "seekable") return file.seekable() ? "true" : "false";
    if (name == "line_buffering") return file.line_buffering() ? "true" : "false";
    if (name == "mode") return quote(file.mode());
    if (name == "encoding") return quote(file.encoding());
    if (name == "errors") return quote(file.errors());
    if (name == "name") {
      int n = file.name();
      return n == fd ? "true" : std::to_string(n);
    }
    if (name == "newlines") {
      auto seen = file.newlines();
      if (seen.empty()) return "null";
      if (seen.size() == 1) return quote(seen[0]);
      std::string out = "[";
      for (auto& s : seen)
        out += (out.size() > 1 ? ", " : "") + quote(s);
      return out + "]";
    }
    throw std::runtime_error("unknown attribute " + name);
  }
};

// CLASS and TEXT of an exception, as Python's type(e).__name__ and str(e); `skip` is set for
// the errors after which the remaining ops are skipped.
std::string error_answer(std::exception_ptr error, bool& skip) {
  const auto e = pysock_test::python_error_of(error);
  skip = e.skips_rest;
  return std::string("{\"error\": \"") + e.cls +
         "\", \"message\": " + pysock_test::quote(e.message) + "}";
}

std::optional<std::string> text_option(const json& spec, const char* key) {
  const json* v = spec.get(key);
  if (!v || v->is_null()) return std::nullopt;
  return v->str();
}

// makefile, the ops and the final close on the tested socket (plain or TLS): the answer's
// "makefile" and "results" parts; "peer" is what `other` received by the end.
template <class Socket>
std::string run_ops(const json& spec, Socket& sock, peer& other) {
  std::string answer;
  scenario<Socket> run{sock, other, sock.fileno(), {}, kind::raw};
  try {
    const json* t = spec.get("timeout");
    if (t && !t->is_null()) sock.settimeout(std::chrono::duration<double>(t->num()));
    pysock::makefile_options options;
    if (const json* b = spec.get("buffering"); b && !b->is_null())
      options.buffering = int(b->num());
    options.encoding = text_option(spec, "encoding").value_or("utf-8");
    options.errors = text_option(spec, "errors");
    options.newline = text_option(spec, "newline");
    run.file = sock.makefile(text_option(spec, "mode").value_or("r"), options);
    run.k = kind_of(run.file);
    answer += ", \"makefile\": {\"ok\": true}, \"results\": [";
    const json* ops = spec.get("ops");
    bool skipping = false;
    std::size_t index = 0;
    for (const json& op : ops ? ops->arr() : json_array{}) {
      if (index++) answer += ", ";
      if (skipping) {
        answer += "{\"skipped\": true}";
        continue;
      }
      try {
        answer += "{\"value\": " + run.run(op.arr()) + "}";
      } catch (...) {
        answer += error_answer(std::current_exception(), skipping);
      }
    }
    answer += "]";
  } catch (...) {
    bool ignored;
    answer +=
        ", \"makefile\": " + error_answer(std::current_exception(), ignored) + ", \"results\": []";
  }
  std::thread drainer([&] { other.drain_until_eof(); });
  try {
    run.file.close();
  } catch (...) {
  }
  run.file = {};
  try {
    sock.close();
  } catch (...) {
  }
  drainer.join();
  return answer;
}

#ifdef PYSOCK_TEST_WITH_SSL
// The two contexts of a TLS scenario, made once from --tls-dir (conformance.md "TLS
// scenarios"): the peer is the server (no session tickets in flight), the tested side a
// create_default_context client verifying "localhost".
struct tls_setup {
  pysock::ssl_context server{pysock::ssl_protocol::tls_server};
  pysock::ssl_context client;

  explicit tls_setup(const std::string& dir)
      : client(pysock::create_default_context(pysock::purpose::server_auth, dir + "/ca.pem")) {
    server.load_cert_chain(dir + "/server.pem", dir + "/server.key");
    server.num_tickets(0);
  }

  // Both handshakes complete (the server's on a thread), each bounded by a timeout.
  std::pair<pysock::ssl_socket, pysock::ssl_socket> wrap(pysock::socket tested,
                                                         pysock::socket peer_end) {
    const auto limit = std::chrono::seconds(5);
    tested.settimeout(limit);
    peer_end.settimeout(limit);
    std::optional<pysock::ssl_socket> server_end;
    std::exception_ptr server_error;
    std::thread handshake([&] {
      try {
        server_end.emplace(server.wrap_socket(std::move(peer_end), {.server_side = true}));
      } catch (...) {
        server_error = std::current_exception();
      }
    });
    std::optional<pysock::ssl_socket> client_end;
    try {
      client_end.emplace(client.wrap_socket(std::move(tested), {.server_hostname = "localhost"}));
    } catch (...) {
      handshake.join();
      throw;
    }
    handshake.join();
    if (server_error) std::rethrow_exception(server_error);
    return {std::move(*client_end), std::move(*server_end)};
  }
};
#else
struct tls_setup {};
#endif

std::string run_scenario(const json& spec, tls_setup* tls) {
  std::string answer = "{\"id\": " + (spec.get("id") ? quote(spec.get("id")->str()) : "null");
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    throw std::runtime_error("socketpair");
  auto sock = pysock::socket::adopt(fds[0]);
  auto peer_end = pysock::socket::adopt(fds[1]);
  int big = 1 << 20;  // a 64 KiB feed (plus TLS framing) never blocks
  ::setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  auto feed =
      spec.get("feed") && !spec.get("feed")->is_null() ? unbase64(spec.get("feed")->str()) : "";
  const json* close_feed = spec.get("close_feed");
  const bool eof_after_feed = !close_feed || std::get<bool>(close_feed->v);
  const json* is_tls = spec.get("tls");
  if (is_tls && std::get<bool>(is_tls->v)) {
#ifdef PYSOCK_TEST_WITH_SSL
    auto [tested, server_end] = tls->wrap(std::move(sock), std::move(peer_end));
    peer other(fds[1]);
    other.use_tls(std::move(server_end));
    other.send_feed(feed, eof_after_feed);
    answer += run_ops(spec, tested, other);
    return answer + ", \"peer\": " + quote(base64(other.received())) + "}";
#else
    (void)tls;
    throw std::runtime_error("a TLS scenario, and pysock-conform was built without pysock::ssl");
#endif
  }
  peer other(peer_end.detach());
  other.send_feed(feed, eof_after_feed);
  answer += run_ops(spec, sock, other);
  return answer + ", \"peer\": " + quote(base64(other.received())) + "}";
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::unique_ptr<tls_setup> tls;
  if (argc == 3 && std::string_view(argv[1]) == "--tls-dir") {
#ifdef PYSOCK_TEST_WITH_SSL
    tls = std::make_unique<tls_setup>(argv[2]);
#endif
  } else if (argc != 1) {
    std::cerr << "usage: pysock-conform [--tls-dir DIR] < scenarios\n";
    return 2;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    json spec = parser(line).parse();
    if (const json* is_tls = spec.get("tls"); is_tls && std::get<bool>(is_tls->v) && !tls) {
      std::cerr << "pysock-conform: a TLS scenario needs --tls-dir (and a build with "
                   "pysock::ssl)\n";
      return 2;
    }
    std::string answer;
    try {
      answer = run_scenario(spec, tls.get());
    } catch (const std::exception& e) {
      answer = "{\"id\": " + (spec.get("id") ? quote(spec.get("id")->str()) : "null") +
               ", \"harness_error\": " + quote(e.what()) + "}";
    }
    std::cout << answer << '\n' << std::flush;
  }
}
