// pysock/ssl.hpp: Python's ssl module (SSLContext, SSLSocket) on OpenSSL 3, in the library
// target pysock::ssl. This header includes no OpenSSL header: everything OpenSSL lives behind
// the pimpl in src/ssl/.
//
// Thread safety: an ssl_context may be shared by any number of sockets and threads once it is
// configured (its setters are not synchronised: configure first, then wrap). One thread may
// read (recv*, accept) while another writes (send*, sendall, sendfile) on one ssl_socket: each
// OpenSSL call runs under the socket's own mutex, and no lock is held while a call waits for
// the fd. Everything else on one ssl_socket (settimeout, close, unwrap, ...) is not meant to
// race with calls in progress, as for pysock::socket.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "pysock/error.hpp"
#include "pysock/socket.hpp"

namespace pysock {

namespace io {
class file;
}
struct makefile_options;

namespace detail {
struct ssl_context_core;
struct ssl_core;
}  // namespace detail

// ssl.PROTOCOL_TLS_CLIENT / PROTOCOL_TLS_SERVER (Python's values).
enum class ssl_protocol { tls_client = 16, tls_server = 17 };
// ssl.Purpose.SERVER_AUTH (a context for clients) / CLIENT_AUTH (for servers).
enum class purpose { server_auth, client_auth };
// ssl.VerifyMode.
enum class verify_mode { cert_none = 0, cert_optional = 1, cert_required = 2 };
// ssl.TLSVersion (the wire values; the two bounds are Python's -2 and -1).
enum class tls_version : int {
  minimum_supported = -2,
  maximum_supported = -1,
  sslv3 = 0x300,
  tlsv1 = 0x301,
  tlsv1_1 = 0x302,
  tlsv1_2 = 0x303,
  tlsv1_3 = 0x304,
};

// ssl.Options (OpenSSL 3.0's SSL_OP_* values; op_all is Python's, without
// SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS) for ssl_context::options().
inline constexpr std::uint64_t op_all = 0x80000050;
inline constexpr std::uint64_t op_enable_ktls = 0x8;
inline constexpr std::uint64_t op_ignore_unexpected_eof = 0x80;
inline constexpr std::uint64_t op_no_ticket = 0x4000;
inline constexpr std::uint64_t op_no_compression = 0x20000;
inline constexpr std::uint64_t op_enable_middlebox_compat = 0x100000;
inline constexpr std::uint64_t op_cipher_server_preference = 0x400000;
inline constexpr std::uint64_t op_no_sslv3 = 0x2000000;
inline constexpr std::uint64_t op_no_tlsv1 = 0x4000000;
inline constexpr std::uint64_t op_no_tlsv1_2 = 0x8000000;
inline constexpr std::uint64_t op_no_tlsv1_1 = 0x10000000;
inline constexpr std::uint64_t op_no_tlsv1_3 = 0x20000000;
inline constexpr std::uint64_t op_no_renegotiation = 0x40000000;

// ssl.VerifyFlags (X509_V_FLAG_* values) for ssl_context::verify_flags().
inline constexpr unsigned long verify_default = 0;
inline constexpr unsigned long verify_crl_check_leaf = 0x4;
inline constexpr unsigned long verify_crl_check_chain = 0x4 | 0x8;
inline constexpr unsigned long verify_x509_strict = 0x20;
inline constexpr unsigned long verify_allow_proxy_certs = 0x40;
inline constexpr unsigned long verify_x509_trusted_first = 0x8000;
inline constexpr unsigned long verify_x509_partial_chain = 0x80000;

// The error category of ssl_error codes: SSL_ERROR_* values for I/O errors (ssl_want_read_error
// is 2, ssl_eof_error 8), the reason code for an error of a library call (116 for
// KEY_VALUES_MISMATCH), as Python's SSLError.args[0] / errno.
const std::error_category& ssl_category() noexcept;

// ssl.SSLError. what() is Python's str(e) without the C source location:
// "[LIB: REASON] text", "[LIB] text" or "text"; library() and reason() are Python's
// e.library / e.reason (nullopt for None). errno_value() is args[0], nullopt for an error made
// from a message alone (Python's SSLError('No cipher can be selected.')).
class ssl_error : public os_error {
 public:
  ssl_error(int code, std::string message, std::optional<std::string> library = {},
            std::optional<std::string> reason = {});
  explicit ssl_error(std::string message);

  const std::optional<std::string>& library() const noexcept { return library_; }
  const std::optional<std::string>& reason() const noexcept { return reason_; }

 private:
  std::optional<std::string> library_;
  std::optional<std::string> reason_;
};

// The TLS connection was closed cleanly (close_notify): "TLS/SSL connection has been closed
// (EOF)", code 6.
class ssl_zero_return_error : public ssl_error {
 public:
  using ssl_error::ssl_error;
};
// A non-blocking call needs the fd readable: "The operation did not complete (read)", code 2
// (not EAGAIN: makefile() lets it through, as Python's SocketIO does).
class ssl_want_read_error : public ssl_error {
 public:
  using ssl_error::ssl_error;
};
// A non-blocking call needs the fd writable: "The operation did not complete (write)", code 3.
class ssl_want_write_error : public ssl_error {
 public:
  using ssl_error::ssl_error;
};
// "Some I/O error occurred", code 5.
class ssl_syscall_error : public ssl_error {
 public:
  using ssl_error::ssl_error;
};
// The peer closed the transport without close_notify: "[SSL: UNEXPECTED_EOF_WHILE_READING] EOF
// occurred in violation of protocol", code 8.
class ssl_eof_error : public ssl_error {
 public:
  using ssl_error::ssl_error;
};
// Certificate verification failed: "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed:
// <verify_message>". Python also derives it from ValueError; here it is an ssl_error only (a
// second std::exception base would make catch (std::exception&) ambiguous).
class ssl_cert_verification_error : public ssl_error {
 public:
  ssl_cert_verification_error(int code, std::string message, std::optional<std::string> library,
                              std::optional<std::string> reason, long verify_code,
                              std::string verify_message);
  // X509_V_ERR_* (62 hostname mismatch, 64 IP mismatch, 18 self-signed, 20 unknown issuer,
  // 10 expired, 85 missing AKID).
  long verify_code() const noexcept { return verify_code_; }
  const std::string& verify_message() const noexcept { return verify_message_; }

 private:
  long verify_code_;
  std::string verify_message_;
};

// What getpeercert() returns: Python's dict as a struct, with the same texts.
struct peer_certificate {
  // (('commonName', 'localhost'),) per relative distinguished name, outermost first.
  using attribute = std::pair<std::string, std::string>;
  using name = std::vector<std::vector<attribute>>;
  // One subjectAltName entry: ("DNS", "localhost"), ("IP Address", "0:0:0:0:0:0:0:1"),
  // ("email", ...), ("URI", ...), ("Registered ID", ...), or ("DirName", "") with dir_name set.
  struct alt_name {
    std::string type;
    std::string value;
    name dir_name;
    friend bool operator==(const alt_name&, const alt_name&) = default;
  };

  name subject;
  name issuer;
  int version = 0;            // 3 for X.509 v3
  std::string serial_number;  // upper-case hex, "63BF0B43..."
  std::string not_before;     // "Dec  7 10:30:23 2026 GMT"
  std::string not_after;
  std::vector<alt_name> subject_alt_name;
  std::vector<std::string> ocsp;
  std::vector<std::string> ca_issuers;
  std::vector<std::string> crl_distribution_points;

  // Python's {}: the peer sent a certificate that was not verified (verify mode cert_none).
  bool empty() const noexcept { return version == 0 && subject.empty() && serial_number.empty(); }
  friend bool operator==(const peer_certificate&, const peer_certificate&) = default;
};

// getpeercert(binary_form) selects the DER form: sock.getpeercert(pysock::binary_form).
struct binary_form_t {
  explicit binary_form_t() = default;
};
inline constexpr binary_form_t binary_form{};

// SSLSocket.cipher(): ('TLS_AES_256_GCM_SHA384', 'TLSv1.3', 256).
struct cipher_info {
  std::string name;
  std::string protocol;
  int secret_bits = 0;
  friend bool operator==(const cipher_info&, const cipher_info&) = default;
};

// load_cert_chain's password: none, the password itself, or a callback returning it.
using ssl_password = std::variant<std::monostate, std::string, std::function<std::string()>>;
// load_verify_locations's cadata: PEM text (Python's str) or DER bytes (Python's bytes).
using ssl_cadata = std::variant<std::string, std::vector<std::byte>>;

// wrap_socket's keyword arguments.
struct wrap_options {
  bool server_side = false;
  std::optional<std::string> server_hostname = {};
  bool do_handshake_on_connect = true;
  bool suppress_ragged_eofs = true;
  // Beyond Python: close() first sends close_notify (one non-blocking attempt, no wait for the
  // peer's), so the peer reads a clean end instead of a ragged EOF. Files made by makefile()
  // that outlive close() can still read, but no longer write.
  bool close_notify_on_close = false;
};

class ssl_socket;
class ssl_io_ref;

// ssl.SSLContext. A handle: copies share one OpenSSL context (Python's reference semantics),
// and every socket it wrapped keeps it alive.
class ssl_context {
 public:
  // CPython's defaults for the protocol (tls.md 1.1): client: cert_required, check_hostname;
  // server: cert_none; both minimum TLS 1.2, options 0x82520050, the cipher string of _ssl.c.
  explicit ssl_context(ssl_protocol protocol);

  ssl_protocol protocol() const noexcept;

  // cafile / capath / cadata, at least one (else value_error "cafile, capath and cadata
  // cannot be all omitted", Python's TypeError). A missing cafile raises file_not_found_error;
  // a missing capath is not checked (loaded lazily), as in Python.
  void load_verify_locations(std::optional<std::filesystem::path> cafile,
                             std::optional<std::filesystem::path> capath = {},
                             std::optional<ssl_cadata> cadata = {});
  // On Linux: set_default_verify_paths() (SSL_CERT_FILE / SSL_CERT_DIR or OpenSSL's paths).
  void load_default_certs(purpose p = purpose::server_auth);
  void set_default_verify_paths();
  // The certificate chain in `certfile` and the key in `keyfile` (or certfile when nullopt).
  void load_cert_chain(const std::filesystem::path& certfile,
                       std::optional<std::filesystem::path> keyfile = {},
                       ssl_password password = {});
  // OpenSSL cipher list; none selectable → ssl_error("No cipher can be selected.").
  void set_ciphers(const std::string& ciphers);
  // Each name 1..255 bytes, else ssl_error("ALPN protocols must be 1 to 255 in length").
  void set_alpn_protocols(const std::vector<std::string>& protocols);

  tls_version minimum_version() const;
  void minimum_version(tls_version v);
  tls_version maximum_version() const;
  void maximum_version(tls_version v);
  pysock::verify_mode verify_mode() const;
  // cert_none while check_hostname is on → value_error("Cannot set verify_mode to CERT_NONE
  // when check_hostname is enabled.").
  void verify_mode(pysock::verify_mode mode);
  bool check_hostname() const;
  // Turning it on also sets verify_mode to cert_required, as in Python.
  void check_hostname(bool on);
  std::uint64_t options() const;
  void options(std::uint64_t op);
  // TLS 1.3 session tickets a server sends (default 2); setting it on a client context →
  // value_error("SSLContext is not a server context."), as in Python.
  std::size_t num_tickets() const;
  void num_tickets(std::size_t n);
  unsigned long verify_flags() const;
  void verify_flags(unsigned long flags);
  bool hostname_checks_common_name() const;
  void hostname_checks_common_name(bool on);
  int security_level() const;
  // Python's keylog_filename: the TLS secrets of every connection made from this context are
  // appended to the file (NSS key log format, which Wireshark reads); an empty file first gets a
  // comment line. Opening errors raise os_error with the path (file_not_found_error,
  // is_a_directory_error, ...) and leave logging off; nullopt stops logging.
  // create_default_context sets it from the SSLKEYLOGFILE environment variable, as Python 3.13.
  const std::optional<std::filesystem::path>& keylog_filename() const noexcept;
  void keylog_filename(std::optional<std::filesystem::path> path);

  // Wraps `sock`, taking it over (Python: the SSLSocket owns the fd and `sock` is detached).
  // Argument errors leave `sock` with the caller: not_implemented_error("only stream sockets are
  // supported"), value_error("server_hostname can only be specified in client mode"),
  // value_error("check_hostname requires server_hostname"), value_error("server_hostname cannot
  // be an empty string or start with a leading dot."), value_error("do_handshake_on_connect
  // should not be specified for non-blocking sockets") for a connected socket with timeout 0.
  // A connected socket gets its TLS session at once (and the handshake, when
  // do_handshake_on_connect); an unconnected one in connect(). A failed handshake closes it.
  // An unconnected socket that still holds received bytes (its peer sent them, then reset the
  // connection) raises ssl_error ENOTCONN "Closed before TLS handshake with data in recv
  // buffer." and is closed, as in Python: the bytes must not pass for data that came over TLS.
  ssl_socket wrap_socket(socket&& sock, wrap_options options = {});

 private:
  friend class ssl_socket;
  friend struct detail::ssl_core;
  std::shared_ptr<detail::ssl_context_core> core_;
};

// ssl.create_default_context(purpose, cafile, capath, cadata) as in Python 3.13: the protocol
// for the purpose, VERIFY_X509_STRICT | VERIFY_X509_PARTIAL_CHAIN, the given CA locations or,
// when none is given and the verify mode is not cert_none, load_default_certs().
ssl_context create_default_context(purpose p = purpose::server_auth,
                                   std::optional<std::filesystem::path> cafile = {},
                                   std::optional<std::filesystem::path> capath = {},
                                   std::optional<ssl_cadata> cadata = {});

// ssl.SSLSocket, made by ssl_context::wrap_socket; move-only, owns the socket it wraps.
//
// Timeouts follow _ssl.c: each call tries the OpenSSL operation first and waits for the fd only
// when OpenSSL asks for it (read or write), with one deadline for the whole call; expiry raises
// timeout_error "The read operation timed out" / "The write operation timed out" / "The
// handshake operation timed out". With timeout 0 the calls raise ssl_want_read_error /
// ssl_want_write_error. The fd is non-blocking while TLS is active, whatever the timeout.
//
// No SIGPIPE reaches the process from any write (handshake, send, alerts, close_notify,
// sendfile), and the process's signal disposition is never touched; a gone peer is a
// broken_pipe_error. By default OpenSSL writes through a socket BIO of pysock's that sends with
// MSG_NOSIGNAL (no cost). A context with op_enable_ktls keeps OpenSSL's own socket BIO, which
// kernel TLS needs; there each OpenSSL call runs with SIGPIPE blocked in the calling thread and
// a SIGPIPE it raised is taken back before the mask is restored (three system calls per call).
//
// Operations Python refuses on an SSLSocket (dup, recvfrom, recvfrom_into, sendto, recvmsg,
// sendmsg, and non-zero flags) are absent from this type.
class ssl_socket {
 public:
  ssl_socket(ssl_socket&& other) noexcept;
  ssl_socket& operator=(ssl_socket&& other) noexcept;
  // close(), ignoring its errors.
  ~ssl_socket();

  // Connects the wrapped unconnected socket, then handshakes (when do_handshake_on_connect).
  void connect(const address& addr);
  int connect_ex(const address& addr);
  // On a wrapped listener: the accepted connection as a server-side ssl_socket with the
  // listener's options (handshaken when do_handshake_on_connect).
  std::pair<ssl_socket, address> accept();

  void do_handshake();

  // At most one record's plaintext (Python's default bufsize 1024). Empty after close_notify,
  // and after a ragged EOF when suppress_ragged_eofs.
  std::string recv(std::size_t bufsize = 1024);
  // Into `buffer` (at most `nbytes` bytes when non-zero; more than the buffer holds →
  // value_error("buffer too small for requested bytes")).
  std::size_t recv_into(std::span<std::byte> buffer, std::size_t nbytes = 0);
  // All of `data` or an exception: no partial writes (Python's SSL_write without
  // SSL_MODE_ENABLE_PARTIAL_WRITE). A retry after ssl_want_write_error must pass the same bytes
  // again (at least as many), or OpenSSL raises "[SSL: BAD_LENGTH] bad length".
  std::size_t send(std::span<const std::byte> data);
  std::size_t send(std::string_view data);
  // Everything, under one deadline.
  void sendall(std::span<const std::byte> data);
  void sendall(std::string_view data);
  // socket.sendfile's rules (offset, count, final file position): SSL_sendfile when the send
  // side runs in kernel TLS, else read + send in 8 KiB blocks (CPython 3.13 always does that).
  std::uint64_t sendfile(int file_fd, std::uint64_t offset = 0,
                         std::optional<std::uint64_t> count = {});
  std::uint64_t sendfile(const std::filesystem::path& path, std::uint64_t offset = 0,
                         std::optional<std::uint64_t> count = {});
  // Decrypted bytes buffered inside OpenSSL (the rest of the current record).
  std::size_t pending() const;

  // Sends close_notify, waits for the peer's, and gives back the plain socket (this object is
  // closed afterwards). Python returns the same SSLSocket object instead.
  socket unwrap();
  // Drops TLS without close_notify, then socket.shutdown(how).
  void shutdown(shut how);
  // Closes without close_notify (as Python; see wrap_options::close_notify_on_close). The fd
  // stays open while makefile() files use it.
  void close();
  bool closed() const noexcept;

  int fileno() const noexcept;
  timeout gettimeout() const;
  void settimeout(timeout t);
  void setblocking(bool blocking) { settimeout(blocking ? timeout() : timeout(0)); }
  bool getblocking() const;
  address getsockname() const;
  address getpeername() const;
  pysock::family family() const;
  sock_type type() const;

  // Python's getpeercert(): value_error("handshake not done yet") before the handshake;
  // nullopt when the peer sent no certificate; an empty() certificate when it was not
  // verified; else the decoded certificate.
  std::optional<peer_certificate> getpeercert() const;
  // getpeercert(True): the DER bytes (also when unverified), nullopt when none was sent.
  std::optional<std::string> getpeercert(binary_form_t) const;
  // nullopt before the handshake and after close.
  std::optional<cipher_info> cipher() const;
  std::optional<std::string> version() const;
  std::optional<std::string> selected_alpn_protocol() const;
  bool server_side() const noexcept;
  const std::optional<std::string>& server_hostname() const noexcept;
  bool suppress_ragged_eofs() const noexcept;
  ssl_context context() const;

  // <pysock.ssl_socket fd=3, family=AF_INET, type=SOCK_STREAM, proto=6, laddr=..., raddr=...>
  std::string repr() const;
  friend std::ostream& operator<<(std::ostream& out, const ssl_socket& s) {
    return out << s.repr();
  }

  // The io-reference hook of makefile(): reads and writes through TLS, keeps the connection
  // open across close() until released.
  ssl_io_ref io_ref();
  // makefile(mode, ...) over TLS: the same io stack as socket::makefile (include
  // pysock/makefile.hpp to call it).
  io::file makefile(std::string_view mode, makefile_options options);
  io::file makefile(std::string_view mode = "r");

 private:
  friend class ssl_context;
  explicit ssl_socket(std::shared_ptr<detail::ssl_core> core) noexcept;
  detail::ssl_core& core() const;

  std::shared_ptr<detail::ssl_core> core_;
};

// One io reference on an ssl_socket (what a makefile() file holds); shares the connection, so
// it stays valid after the ssl_socket is destroyed or moved from.
class ssl_io_ref {
 public:
  ssl_io_ref() = default;
  ssl_io_ref(ssl_io_ref&& other) noexcept = default;
  ssl_io_ref& operator=(ssl_io_ref&& other) noexcept;
  ~ssl_io_ref() { release(); }

  std::size_t recv_into(std::span<std::byte> buffer);
  std::size_t send(std::span<const std::byte> data);
  timeout gettimeout() const;
  int fileno() const noexcept;
  bool closed() const noexcept;
  void release() noexcept;
  void close();

 private:
  friend class ssl_socket;
  ssl_io_ref(std::shared_ptr<detail::ssl_core> core, socket_io_ref plain) noexcept;

  std::shared_ptr<detail::ssl_core> core_;
  socket_io_ref plain_;
};

}  // namespace pysock
