#include "options.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cmath>
#include <map>
#include <vector>

#include <pysock/error.hpp>
#include <pysock/io/codec.hpp>

namespace sockcat {
namespace {

constexpr const char* usage_text =
    "Usage: sockcat [OPTIONS] HOST PORT        connect to HOST:PORT\n"
    "       sockcat [OPTIONS] -l [HOST] PORT   listen on PORT (all addresses unless HOST)\n"
    "       sockcat [OPTIONS] -U PATH          connect to a Unix socket (@NAME: abstract)\n"
    "       sockcat [OPTIONS] -l -U PATH       listen on a Unix socket\n";

constexpr const char* description =
    "Copies stdin to a stream socket and the socket to stdout, like netcat. When stdin ends,\n"
    "sockcat shuts down its sending side (half-close) and prints what arrives until the peer\n"
    "closes. Exit status: 0 when the peer closed (or --lines were printed), 1 on a connection\n"
    "or I/O error, 2 on bad arguments.\n";

constexpr const char* footer =
    "Text mode (any of --encoding, --errors, --newline, --lines) reads the socket like Python's\n"
    "socket.makefile('r'). Newline modes: universal (\\r, \\n and \\r\\n end a line and print\n"
    "as \\n), keep (the same lines, printed as received), lf, cr, crlf (only that ends a line).\n"
    "The progress line is on by default when stderr is a terminal and stdin or stdout is not\n"
    "(a transfer rather than a conversation).\n"
    "\n"
    "Examples:\n"
    "  sockcat example.org 80                       talk to a web server\n"
    "  sockcat -l 9000 > upload.bin                 receive one upload on port 9000\n"
    "  sockcat --send-file big.iso host 9000        send a file with zero-copy sendfile\n"
    "  sockcat -l -k -U /tmp/chat.sock              serve Unix-socket clients in turn\n"
    "  sockcat --encoding latin-1 --lines 1 host 7  one line, decoded from Latin-1\n"
    "  sockcat --ssl example.org 443                TLS, the server verified (unlike ncat)\n"
    "  sockcat -l --ssl --ssl-cert c.pem --ssl-key k.pem 8443   a TLS server\n";

// --help starts with the four ways to call sockcat and what it does; usage errors show the
// four ways too.
class formatter : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App*, std::string) const override {
    return std::string(usage_text) + "\n" + description + "\n";
  }
};

// A validator that checks quietly: the help text says what is allowed.
CLI::Validator quiet(CLI::Validator check) {
  return check.description("");
}

// Seconds or counts: a finite number above zero (or zero too), with a complaint a user reads.
CLI::Validator number_check(bool zero_allowed) {
  return CLI::Validator(
      [zero_allowed](std::string& text) -> std::string {
        double value = 0;
        bool number = CLI::detail::lexical_cast(text, value) && std::isfinite(value);
        if (number && (value > 0 || (zero_allowed && value == 0))) return {};
        return "'" + text + "' is not a " + (zero_allowed ? "non-negative" : "positive") +
               " number";
      },
      "", zero_allowed ? "NONNEGATIVE" : "POSITIVE");
}

std::string failure_message(const CLI::App*, const CLI::Error& e) {
  return std::string("sockcat: ") + e.what() + "\n" + usage_text +
         "Run with --help for more information.\n";
}

// Python's newline= values, by name (a bare '' is accepted too, as Python spells it).
const std::map<std::string, std::string> newline_modes = {
    {"keep", ""}, {"", ""}, {"lf", "\n"}, {"cr", "\r"}, {"crlf", "\r\n"}};

// A CLI11 validator from a pysock lookup function: its exception text becomes the complaint.
template <typename Lookup>
CLI::Validator pysock_lookup(std::string name, Lookup lookup) {
  return CLI::Validator(
      [lookup](std::string& value) -> std::string {
        try {
          lookup(value);
          return {};
        } catch (const std::exception& e) {
          return e.what();
        }
      },
      "", std::move(name));
}

// "h2,http/1.1" → {"h2", "http/1.1"}; "" → {}.
std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  for (std::size_t start = 0; start < text.size();) {
    auto comma = std::min(text.find(',', start), text.size());
    items.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

int parse_port(const std::string& text, int lowest) {
  int port = -1;
  if (!CLI::detail::lexical_cast(text, port) || port < lowest || port > 65535)
    throw CLI::ValidationError(
        "PORT", "'" + text + "' is not a port number (" + std::to_string(lowest) + "-65535)");
  return port;
}

// -s HOST[:PORT], with IPv6 literals written [::1]:PORT (or bare, without a port).
pysock::address parse_source(const std::string& text) {
  std::string host = text;
  int port = 0;
  auto colon = text.rfind(':');
  bool bracketed = text.starts_with('[');
  bool bare_ipv6 = !bracketed && text.find(':') != colon;
  if (colon != std::string::npos && !bare_ipv6 && (!bracketed || text[colon - 1] == ']')) {
    host = text.substr(0, colon);
    port = parse_port(text.substr(colon + 1), 0);
  }
  if (host.starts_with('[') && host.ends_with(']')) host = host.substr(1, host.size() - 2);
  return pysock::inet_address{host, port};
}

// The positional words: HOST PORT to connect, [HOST] PORT to listen, none with -U.
void apply_positionals(options& opt, const std::vector<std::string>& words) {
  if (opt.unix_path) {
    if (!words.empty()) throw CLI::ValidationError("-U PATH takes no HOST or PORT");
    return;
  }
  if (!opt.listen && words.size() != 2) throw CLI::ValidationError("HOST and PORT are required");
  if (opt.listen && words.empty()) throw CLI::ValidationError("PORT is required");
  opt.port = parse_port(words.back(), opt.listen ? 0 : 1);
  if (words.size() == 2) opt.host = words.front();
}

void check_tls_combinations(const options& opt) {
  const auto& tls = opt.tls;
  bool tls_option_given = tls.verify || tls.trustfile || tls.cert || tls.key || tls.servername ||
                          !tls.alpn.empty() || tls.ciphers ||
                          tls.minimum_version != pysock::tls_version::tlsv1_2;
  if (!tls.enabled && tls_option_given)
    throw CLI::ValidationError("the --ssl-* options need --ssl");
  if (!tls.enabled) return;
  if (opt.listen && !tls.cert)
    throw CLI::ValidationError("-l --ssl needs --ssl-cert FILE (and --ssl-key FILE)");
  if (tls.key && !tls.cert) throw CLI::ValidationError("--ssl-key needs --ssl-cert");
  if (opt.listen && tls.servername)
    throw CLI::ValidationError("--ssl-servername is for connecting");
  if (!opt.listen && opt.unix_path && opt.verifies_peer() && !tls.servername)
    throw CLI::ValidationError(
        "-U --ssl needs --ssl-servername NAME (the name to verify) or --no-ssl-verify");
}

void check_combinations(const options& opt) {
  if (opt.keep_open && !opt.listen) throw CLI::ValidationError("-k/--keep-open needs -l");
  if (opt.listen && opt.source_address)
    throw CLI::ValidationError("-s/--source is for connecting; with -l give HOST instead");
  if (opt.unix_path && (opt.source_address || opt.happy_eyeballs_delay))
    throw CLI::ValidationError("-s and --happy-eyeballs-delay do not apply to Unix sockets");
  check_tls_combinations(opt);
}

}  // namespace

pysock::unix_address unix_address_of(const std::string& typed_path) {
  if (typed_path.starts_with('@')) return {std::string(1, '\0') + typed_path.substr(1)};
  return {typed_path};
}

std::variant<options, int> parse_command_line(int argc, char** argv) {
  options opt;
  std::vector<std::string> words;
  std::optional<double> timeout_seconds, delay_seconds;
  std::string source, newline_name, alpn_list;
  bool progress = false, no_progress = false;

  CLI::App app("", "sockcat");
  app.formatter(std::make_shared<formatter>());
  app.failure_message(failure_message);
  app.footer(footer);
  app.set_version_flag("--version", "sockcat " SOCKCAT_VERSION);
  app.add_option("HOST PORT", words, "Where to connect, or [HOST] PORT to listen on")
      ->type_name("")
      ->expected(0, 2);

  auto* conn = "Connection";
  app.add_flag("-l,--listen", opt.listen, "Listen for a client instead of connecting")->group(conn);
  app.add_flag("-k,--keep-open", opt.keep_open,
               "With -l, serve clients one after another until interrupted")
      ->group(conn);
  app.add_option("-U,--unix", opt.unix_path, "Use the Unix socket PATH (@NAME: abstract name)")
      ->type_name("PATH")
      ->group(conn);
  app.add_option("-w,--timeout", timeout_seconds,
                 "Give up connecting (with -l: waiting for a client) after SECONDS")
      ->type_name("SECONDS")
      ->check(number_check(false))
      ->group(conn);
  app.add_option("--happy-eyeballs-delay", delay_seconds,
                 "Happy Eyeballs: try the next address after SECONDS")
      ->type_name("SECONDS")
      ->check(number_check(true))
      ->group(conn);
  app.add_option("-s,--source", source, "Connect from this local address")
      ->type_name("HOST[:PORT]")
      ->group(conn);

  auto* data = "Data";
  app.add_option("--send-file", opt.send_file, "Send PATH (zero-copy sendfile) instead of stdin")
      ->type_name("PATH")
      ->check(quiet(CLI::ExistingFile))
      ->group(data);
  app.add_option("--encoding", opt.encoding,
                 "Text mode: decode the socket's bytes (stdout gets UTF-8)")
      ->type_name("NAME")
      ->check(pysock_lookup("ENCODING", [](const std::string& e) { pysock::io::lookup_codec(e); }))
      ->group(data);
  app.add_option("--errors", opt.errors, "Text mode: strict (default), replace, ignore, ...")
      ->type_name("HANDLER")
      ->check(pysock_lookup("ERRORS", pysock::io::lookup_error_handler))
      ->group(data);
  app.add_option("--newline", newline_name, "Text mode: universal (default), keep, lf, cr or crlf")
      ->check(quiet(CLI::IsMember({"universal", "keep", "", "lf", "cr", "crlf"})))
      ->type_name("MODE")
      ->group(data);
  app.add_option("--lines", opt.lines, "Text mode: exit after printing N lines")
      ->type_name("N")
      ->check(number_check(false))
      ->group(data);

  auto* tls = "TLS";
  bool verify = false, no_verify = false, tls12 = false, tls13 = false;
  app.add_flag("--ssl", opt.tls.enabled, "Use TLS (connecting: the server is verified)")
      ->group(tls);
  auto* verify_flag =
      app.add_flag("--ssl-verify", verify,
                   "Verify the peer (the default when connecting; with -l: require a client "
                   "certificate)")
          ->group(tls);
  app.add_flag("--no-ssl-verify", no_verify,
               "Connecting: accept any certificate and name (ncat's default)")
      ->excludes(verify_flag)
      ->group(tls);
  app.add_option("--ssl-trustfile", opt.tls.trustfile,
                 "CA certificates (PEM) to verify the peer with, instead of the system's")
      ->type_name("FILE")
      ->check(quiet(CLI::ExistingFile))
      ->group(tls);
  app.add_option("--ssl-servername", opt.tls.servername,
                 "The name sent (SNI) and verified; default HOST (an IP literal is checked "
                 "against the certificate's IP addresses)")
      ->type_name("NAME")
      ->group(tls);
  app.add_option("--ssl-cert", opt.tls.cert,
                 "Certificate chain (PEM): the server's with -l, else a client certificate")
      ->type_name("FILE")
      ->check(quiet(CLI::ExistingFile))
      ->group(tls);
  app.add_option("--ssl-key", opt.tls.key, "Private key (PEM) of --ssl-cert, if not in that file")
      ->type_name("FILE")
      ->check(quiet(CLI::ExistingFile))
      ->group(tls);
  app.add_option("--ssl-alpn", alpn_list, "ALPN protocols to offer or accept, e.g. h2,http/1.1")
      ->type_name("LIST")
      ->group(tls);
  app.add_option("--ssl-ciphers", opt.tls.ciphers, "OpenSSL cipher list for TLS 1.2")
      ->type_name("LIST")
      ->group(tls);
  auto* tls12_flag = app.add_flag("--tls1.2", tls12, "TLS 1.2 or later (the default)")->group(tls);
  app.add_flag("--tls1.3", tls13, "TLS 1.3 only")->excludes(tls12_flag)->group(tls);

  auto* report = "Reporting";
  app.add_flag("--progress", progress, "Show bytes, rate and ETA on stderr")->group(report);
  app.add_flag("--no-progress", no_progress, "Never show them")->group(report);
  app.add_flag("-v,--verbose", opt.verbose, "Print the sockets' reprs and each step on stderr")
      ->group(report);

  try {
    app.parse(argc, argv);
    apply_positionals(opt, words);
    if (!source.empty()) opt.source_address = parse_source(source);
    opt.tls.alpn = split_list(alpn_list);
    if (verify || no_verify) opt.tls.verify = verify;
    if (tls13) opt.tls.minimum_version = pysock::tls_version::tlsv1_3;
    if (app.count("--newline") && newline_name != "universal")
      opt.newline = newline_modes.at(newline_name);
    check_combinations(opt);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (timeout_seconds) opt.timeout = std::chrono::duration<double>(*timeout_seconds);
  if (delay_seconds) opt.happy_eyeballs_delay = std::chrono::duration<double>(*delay_seconds);
  bool transfer = opt.send_file || !isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO);
  opt.progress = progress || (!no_progress && transfer && isatty(STDERR_FILENO));
  return opt;
}

}  // namespace sockcat
