// A minimal HTTP/1.1 GET client: create_connection + makefile("rb"), the way http.client reads
// a response, over TLS for https:// URLs (create_default_context(), wrap_socket with the host as
// server_hostname, ALPN http/1.1). The status line and headers come from readline(); the body by
// Content-Length or chunked transfer coding, or until the server closes.
//
//   http_get URL [--timeout SECONDS]        URL: http[s]://HOST[:PORT][/PATH]
//
// The server's certificate is verified against the system's CAs; SSL_CERT_FILE names another CA
// file (OpenSSL's default paths honour it). Prints the status line and headers (and for https
// the TLS version, cipher and ALPN protocol) on stderr and the body on stdout; exits 0 for a 2xx
// status.
#include <pysock/makefile.hpp>
#include <pysock/pysock.hpp>
#include <pysock/ssl.hpp>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

namespace {

// The limits http.client uses against hostile servers.
constexpr std::ptrdiff_t max_line = 65536;
constexpr int max_headers = 100;

std::string lowercase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  const auto last = text.find_last_not_of(" \t\r\n");
  return first == std::string_view::npos ? "" : std::string(text.substr(first, last - first + 1));
}

// One line, refusing lines longer than max_line (readline(limit) never holds more).
std::string read_line(pysock::io::file& in) {
  std::string line = in.readline(max_line + 1);
  if (static_cast<std::ptrdiff_t>(line.size()) > max_line)
    throw std::runtime_error("line too long");
  return line;
}

struct response_head {
  std::string status_line;
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
};

response_head read_head(pysock::io::file& in) {
  response_head head;
  head.status_line = trim(read_line(in));
  if (head.status_line.rfind("HTTP/1.", 0) != 0)
    throw std::runtime_error("not an HTTP/1.x response: " + head.status_line);
  head.status = std::stoi(head.status_line.substr(9, 3));
  for (int count = 0;; ++count) {
    const std::string line = read_line(in);
    if (line == "\r\n" || line == "\n" || line.empty()) break;
    if (count == max_headers) throw std::runtime_error("too many headers");
    const auto colon = line.find(':');
    if (colon == std::string::npos) throw std::runtime_error("bad header: " + trim(line));
    head.headers[lowercase(line.substr(0, colon))] = trim(line.substr(colon + 1));
  }
  return head;
}

// Exactly n bytes of body, or an error if the server closes first.
void copy_exactly(pysock::io::file& in, std::size_t n, std::ostream& out) {
  while (n > 0) {
    const auto chunk = in.read(static_cast<std::ptrdiff_t>(std::min<std::size_t>(n, 65536)));
    if (!chunk || chunk->empty()) throw std::runtime_error("connection closed mid-body");
    out << *chunk;
    n -= chunk->size();
  }
}

void copy_chunked(pysock::io::file& in, std::ostream& out) {
  for (;;) {
    const std::string size_line = trim(read_line(in));
    const std::size_t size = std::stoul(size_line.substr(0, size_line.find(';')), nullptr, 16);
    if (size == 0) break;
    copy_exactly(in, size, out);
    read_line(in);  // the CRLF after the chunk
  }
  while (!trim(read_line(in)).empty()) {  // trailers
  }
}

void copy_body(pysock::io::file& in, const response_head& head, std::ostream& out) {
  const auto encoding = head.headers.find("transfer-encoding");
  const auto length = head.headers.find("content-length");
  if (encoding != head.headers.end() && lowercase(encoding->second) == "chunked") {
    copy_chunked(in, out);
  } else if (length != head.headers.end()) {
    copy_exactly(in, std::stoul(length->second), out);
  } else {
    for (std::string chunk; !(chunk = in.read1(65536)).empty();)
      out << chunk;
  }
}

struct url {
  bool https = false;
  std::string host;  // without the brackets of an IPv6 literal
  int port = 0;
  std::string path;
};

// http[s]://HOST[:PORT][/PATH], HOST possibly [IPv6].
url parse_url(const std::string& text) {
  url u;
  const auto scheme_end = text.find("://");
  const std::string scheme = lowercase(text.substr(0, scheme_end));
  if (scheme_end == std::string::npos || (scheme != "http" && scheme != "https"))
    throw std::runtime_error("not an http:// or https:// URL: " + text);
  u.https = scheme == "https";
  const auto authority_start = scheme_end + 3;
  const auto path_start = std::min(text.find('/', authority_start), text.size());
  const std::string authority = text.substr(authority_start, path_start - authority_start);
  u.path = path_start < text.size() ? text.substr(path_start) : "/";
  const auto bracket = authority.rfind(']');
  const auto colon = authority.rfind(':');
  const bool has_port =
      colon != std::string::npos && (bracket == std::string::npos || colon > bracket);
  u.host = authority.substr(0, has_port ? colon : authority.size());
  if (u.host.size() > 1 && u.host.front() == '[') u.host = u.host.substr(1, u.host.size() - 2);
  u.port = has_port ? std::stoi(authority.substr(colon + 1)) : (u.https ? 443 : 80);
  return u;
}

// The request and the response, over a pysock::socket or a pysock::ssl_socket alike.
template <typename Socket>
int get(Socket& sock, const url& u) {
  sock.sendall("GET " + u.path + " HTTP/1.1\r\nHost: " + u.host + ":" + std::to_string(u.port) +
               "\r\nConnection: close\r\nUser-Agent: pysock-http_get\r\n\r\n");
  pysock::io::file in = sock.makefile("rb");
  const response_head head = read_head(in);
  std::cerr << head.status_line << '\n';
  for (const auto& [name, value] : head.headers)
    std::cerr << name << ": " << value << '\n';
  copy_body(in, head, std::cout);
  std::cout.flush();
  return head.status >= 200 && head.status < 300 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace

int main(int argc, char** argv) try {
  if (argc != 2 && !(argc == 4 && std::string(argv[2]) == "--timeout")) {
    std::cerr << "usage: http_get URL [--timeout SECONDS]\n";
    return 2;
  }
  const url u = parse_url(argv[1]);
  const double timeout = argc == 4 ? std::stod(argv[3]) : 10;

  pysock::socket sock =
      pysock::create_connection(u.host, u.port, std::chrono::duration<double>(timeout));
  if (!u.https) return get(sock, u);
  pysock::ssl_context context = pysock::create_default_context();
  context.set_alpn_protocols({"http/1.1"});
  pysock::ssl_socket tls = context.wrap_socket(std::move(sock), {.server_hostname = u.host});
  const auto cipher = tls.cipher();
  std::cerr << "TLS: " << tls.version().value_or("?") << ", " << (cipher ? cipher->name : "?")
            << ", ALPN " << tls.selected_alpn_protocol().value_or("none") << '\n';
  return get(tls, u);
} catch (const std::exception& e) {
  std::cerr << "http_get: " << e.what() << '\n';
  return EXIT_FAILURE;
}
