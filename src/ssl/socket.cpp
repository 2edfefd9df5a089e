#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "detail/poll.hpp"
#include "detail/sigpipe.hpp"
#include "detail/test_hooks.hpp"
#include "pysock/makefile.hpp"
#include "ssl/bio.hpp"
#include "ssl/certificate.hpp"
#include "ssl/core.hpp"
#include "ssl/error.hpp"

namespace pysock {
namespace detail {
namespace {

// Python's timeout texts (without _ssl.c's "_ssl.c:N: " prefix on the handshake's).
const char* timeout_text(ssl_operation op, int want) {
  switch (op) {
    case ssl_operation::handshake:
      return "The handshake operation timed out";
    case ssl_operation::read:
      return "The read operation timed out";
    case ssl_operation::write:
      return "The write operation timed out";
    case ssl_operation::shutdown:
      break;
  }
  return want == SSL_ERROR_WANT_READ ? "The read operation timed out"
                                     : "The write operation timed out";
}

bool is_fatal(int ssl_error) {
  return ssl_error == SSL_ERROR_SSL || ssl_error == SSL_ERROR_SYSCALL;
}

ssl_eof_error latched_eof() {
  return ssl_eof_error(ssl_code_eof, "EOF occurred in violation of protocol");
}

bool is_eof(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const ssl_eof_error&) {
    return true;
  } catch (const os_error& e) {
    return !dynamic_cast<const ssl_error*>(&e);  // a transport error ends the stream too
  } catch (...) {
    return false;
  }
}

// SNI for DNS names only; with check_hostname, host or IP verification (CPython's rules).
void configure_hostname(SSL* ssl, const std::string& name, bool check_hostname) {
  ASN1_OCTET_STRING* ip = a2i_IPADDRESS(name.c_str());
  if (!ip) {
    ERR_clear_error();
    if (!SSL_set_tlsext_host_name(ssl, name.c_str())) raise_ssl_library_error();
  }
  if (check_hostname) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    const int ok =
        ip ? X509_VERIFY_PARAM_set1_ip(param, ASN1_STRING_get0_data(ip), ASN1_STRING_length(ip))
           : X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size());
    if (!ok) {
      ASN1_OCTET_STRING_free(ip);
      raise_ssl_library_error();
    }
  }
  ASN1_OCTET_STRING_free(ip);
}

}  // namespace

ssl_core::ssl_core(ssl_context ctx, socket s, wrap_options opts)
    : context(std::move(ctx)), sock(std::move(s)), options(std::move(opts)) {
  timeout = sock.gettimeout();
}

ssl_core::~ssl_core() {
  SSL_free(ssl);
}

void ssl_core::start_tls() {
  ssl = SSL_new(context.core_->ctx);
  if (!ssl) raise_ssl_library_error();
  fd = sock.fileno();
  // See ssl/bio.hpp: OpenSSL's socket BIO (kernel TLS possible, SIGPIPE guarded per call) when
  // kTLS is asked for, else pysock's MSG_NOSIGNAL BIO.
  const bool ktls = (SSL_get_options(ssl) & SSL_OP_ENABLE_KTLS) != 0;
  guard_sigpipe = ktls && sigpipe_protection;
  if (ktls || !sigpipe_protection) {
    if (!SSL_set_fd(ssl, fd)) raise_ssl_library_error();
  } else {
    BIO* bio = new_nosignal_socket_bio(fd);
    if (!bio) raise_ssl_library_error();
    SSL_set_bio(ssl, bio, bio);
  }
  SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY);
  // The context sets SSL_MODE_RELEASE_BUFFERS; only bench/ssl_idle_memory.cpp's comparison
  // turns it off.
  if (!ssl_release_buffers.load(std::memory_order_relaxed))
    SSL_clear_mode(ssl, SSL_MODE_RELEASE_BUFFERS);
  if (options.server_hostname)
    configure_hostname(ssl, *options.server_hostname, context.core_->check_hostname);
  if (options.server_side) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  sock.settimeout(pysock::timeout(0));
  tls_active = true;
}

template <class Call>
ssl_step ssl_core::attempt(ssl_operation op, Call& call) {
  std::lock_guard lock(mutex);
  if (fatal) {
    if (fatal_is_eof) return ssl_step::failed(std::make_exception_ptr(latched_eof()));
    return ssl_step::failed(fatal);
  }
  ERR_clear_error();
  ssl_io_failure failure;
  std::optional<sigpipe_guard> no_sigpipe;
  if (guard_sigpipe) no_sigpipe.emplace();
  errno = 0;
  failure.ret = call(ssl);
  failure.saved_errno = errno;
  no_sigpipe.reset();
  if (guard_sigpipe && !transport_settled && SSL_is_init_finished(ssl)) settle_transport();
  if (failure.ret > 0) return ssl_step::done(failure.ret);
  failure.ssl_error = SSL_get_error(ssl, failure.ret);
  if (failure.ssl_error == SSL_ERROR_WANT_READ || failure.ssl_error == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    return ssl_step::wait_for(failure.ssl_error);
  }
  if (op == ssl_operation::read && failure.ssl_error == SSL_ERROR_ZERO_RETURN &&
      (SSL_get_shutdown(ssl) & SSL_RECEIVED_SHUTDOWN)) {
    ERR_clear_error();
    return ssl_step::peer_closed();
  }
  failure.queued = ERR_peek_last_error();
  auto error = ssl_io_exception(failure, ssl, options.server_hostname);
  if (is_fatal(failure.ssl_error)) {
    fatal = error;
    fatal_is_eof = is_eof(error);
  }
  return ssl_step::failed(error);
}

template <class Call>
ssl_step ssl_core::run(ssl_operation op, Call call) {
  const auto t = timeout;
  const bool non_blocking = t && t->count() == 0;
  const auto deadline = t ? deadline_after(t->count()) : clock::time_point::max();
  // A write with a timeout waits for room first, as _ssl.c does: after a write timed out on a
  // full socket, the caller's next write (often shorter) times out too rather than reaching
  // OpenSSL, which refuses a shorter retry with BAD_LENGTH.
  int want = op == ssl_operation::write && t && !non_blocking ? SSL_ERROR_WANT_WRITE : 0;
  for (;;) {
    if (want) {
      pollfd wait{fd, short(want == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT), 0};
      if (!poll_until(std::span(&wait, 1), deadline)) throw timeout_error(timeout_text(op, want));
    }
    ssl_step step = attempt(op, call);
    if (step.error) std::rethrow_exception(step.error);
    if (!step.want) return step;
    if (non_blocking) {
      ssl_io_failure failure;
      failure.ssl_error = step.want;
      std::rethrow_exception(ssl_io_exception(failure, nullptr, std::nullopt));
    }
    want = step.want;
  }
}

void ssl_core::do_handshake() {
  run(ssl_operation::handshake, [](SSL* s) { return SSL_do_handshake(s); });
}

std::size_t ssl_core::read(std::span<std::byte> buffer) {
  if (buffer.empty()) return 0;
  std::size_t count = 0;
  try {
    const auto step = run(ssl_operation::read, [&](SSL* s) {
      return SSL_read_ex(s, buffer.data(), buffer.size(), &count);
    });
    return step.closed_by_peer ? 0 : count;
  } catch (const ssl_eof_error&) {
    if (options.suppress_ragged_eofs) return 0;
    throw;
  }
}

std::size_t ssl_core::write(std::span<const std::byte> data) {
  if (data.empty()) return 0;
  std::size_t count = 0;
  run(ssl_operation::write,
      [&](SSL* s) { return SSL_write_ex(s, data.data(), data.size(), &count); });
  return count;
}

void ssl_core::unwrap_tls() {
  // SSL_shutdown returns 0 once it sent close_notify (not an error: no SSL_get_error on it),
  // then 1 when the peer's arrived. Read-ahead stays off so that plaintext after the peer's
  // close_notify is left in the kernel for the plain socket. A second zero return ends it, as
  // in _ssl.c.
  run(ssl_operation::shutdown, [](SSL* s) {
    SSL_set_read_ahead(s, 0);
    int ret = SSL_shutdown(s);
    if (ret == 0) ret = SSL_shutdown(s);
    return ret == 0 ? 1 : ret;
  });
}

void ssl_core::send_close_notify() noexcept {
  std::lock_guard lock(mutex);
  if (fatal || !SSL_is_init_finished(ssl)) return;  // never after a fatal error
  ERR_clear_error();
  std::optional<sigpipe_guard> no_sigpipe;
  if (guard_sigpipe) no_sigpipe.emplace();
  SSL_shutdown(ssl);
  no_sigpipe.reset();
  ERR_clear_error();
}

// Kernel TLS is set up during the handshake, when the keys are installed, and a BIO that kept
// neither direction then never will (the kernel lacks the tls module, or the cipher is not one
// it offers). OpenSSL's socket BIO has nothing left to give, so it goes, and with it the three
// system calls the guard adds to every later call.
void ssl_core::settle_transport() {
  transport_settled = true;
  if (BIO_get_ktls_send(SSL_get_wbio(ssl)) || BIO_get_ktls_recv(SSL_get_rbio(ssl))) return;
  BIO* bio = new_nosignal_socket_bio(fd);
  if (!bio) return;  // out of memory: the guarded socket BIO goes on working
  SSL_set_bio(ssl, bio, bio);
  guard_sigpipe = false;
}

bool ssl_core::ktls_send() {
  if (const int forced = ktls_send_reported.load(std::memory_order_relaxed); forced >= 0)
    return forced != 0;
  std::lock_guard lock(mutex);
  return BIO_get_ktls_send(SSL_get_wbio(ssl)) != 0;
}

std::atomic<int> ktls_send_reported{-1};
std::atomic<bool> ssl_release_buffers{true};

sendfile_counters& ssl_sendfile_stats() noexcept {
  static sendfile_counters counters;
  return counters;
}

namespace {

// Kernel TLS: SSL_sendfile (zero copy, possibly partial) until `total` bytes are sent.
void sendfile_ktls(ssl_core& c, int file_fd, std::uint64_t offset, std::uint64_t total,
                   std::uint64_t& sent) {
  constexpr std::uint64_t most_per_call = 1 << 30;  // the result must fit run()'s int
  while (sent < total) {
    const std::size_t want = std::min(total - sent, most_per_call);
    const auto step = c.run(ssl_operation::write, [&](SSL* s) {
      const auto n = SSL_sendfile(s, file_fd, static_cast<off_t>(offset + sent), want, 0);
      return n > 0 ? static_cast<int>(n) : -1;
    });
    sent += static_cast<std::uint64_t>(step.ret);
    ssl_sendfile_stats().zero_copy_bytes.fetch_add(step.ret, std::memory_order_relaxed);
  }
}

// read + SSL_write of 64 KiB blocks (four full records each, as a 64 KiB SSL_write loop; CPython
// sends 8 KiB records) until the end of the file or `count` bytes.
void sendfile_by_copy(ssl_core& c, int file_fd, std::uint64_t offset,
                      std::optional<std::uint64_t> count, std::uint64_t& sent) {
  std::vector<std::byte> block(std::size_t(1) << 16);
  for (;;) {
    const std::size_t want =
        count ? std::min<std::uint64_t>(*count - sent, block.size()) : block.size();
    if (want == 0) break;
    ssize_t n = ::pread(file_fd, block.data(), want, static_cast<off_t>(offset + sent));
    if (n < 0 && errno == ESPIPE && offset == 0) n = ::read(file_fd, block.data(), want);
    if (n < 0) {
      if (errno == EINTR) continue;
      raise_os_error(errno);
    }
    if (n == 0) break;
    c.write(std::span(block.data(), static_cast<std::size_t>(n)));
    sent += static_cast<std::uint64_t>(n);
    ssl_sendfile_stats().fallback_bytes.fetch_add(n, std::memory_order_relaxed);
  }
}

}  // namespace
}  // namespace detail

namespace {

bool is_connected(const socket& sock) {
  try {
    sock.getpeername();
    return true;
  } catch (const os_error& e) {
    if (e.errno_value() != ENOTCONN) throw;
    return false;
  }
}

// Python's SSLSocket._create: a socket that is not connected yet may still hold bytes (a peer
// that sent them and then reset the connection); they must not pass for data that came through
// TLS, so they are refused before any handshake.
void refuse_bytes_before_handshake(socket& sock) {
  const auto t = sock.gettimeout();
  sock.setblocking(false);
  std::string queued;
  try {
    queued = sock.recv(1);
  } catch (const os_error& e) {
    if (e.errno_value() != ENOTCONN && e.errno_value() != EINVAL) {  // EINVAL: AF_UNIX
      sock.settimeout(t);
      throw;
    }
  }
  sock.settimeout(t);
  if (!queued.empty()) {
    const std::string text = "Closed before TLS handshake with data in recv buffer.";
    throw ssl_error(ENOTCONN, text, std::nullopt, text);
  }
}

}  // namespace

ssl_socket ssl_context::wrap_socket(socket&& sock, wrap_options options) {
  if (static_cast<int>(sock.type()) != static_cast<int>(sock_type::stream))
    throw not_implemented_error("only stream sockets are supported");
  if (options.server_side && options.server_hostname)
    throw value_error("server_hostname can only be specified in client mode");
  if (!options.server_side && core_->check_hostname &&
      (!options.server_hostname || options.server_hostname->empty()))
    throw value_error("check_hostname requires server_hostname");
  if (options.server_hostname &&
      (options.server_hostname->empty() || options.server_hostname->front() == '.'))
    throw value_error("server_hostname cannot be an empty string or start with a leading dot.");
  const bool connected = is_connected(sock);
  const auto t = sock.gettimeout();
  if (connected && options.do_handshake_on_connect && t && t->count() == 0)
    throw value_error("do_handshake_on_connect should not be specified for non-blocking sockets");
  ssl_socket wrapped(
      std::make_shared<detail::ssl_core>(*this, std::move(sock), std::move(options)));
  if (connected) {
    wrapped.core().start_tls();
    if (wrapped.core().options.do_handshake_on_connect) wrapped.do_handshake();
  } else {
    refuse_bytes_before_handshake(wrapped.core().sock);  // closes the socket, as Python's
  }
  return wrapped;
}

ssl_socket::ssl_socket(std::shared_ptr<detail::ssl_core> core) noexcept : core_(std::move(core)) {}

ssl_socket::ssl_socket(ssl_socket&& other) noexcept = default;

ssl_socket& ssl_socket::operator=(ssl_socket&& other) noexcept {
  if (this != &other) {
    try {
      if (core_) close();
    } catch (...) {  // as the destructor: a failed close must not stop the move
    }
    core_ = std::move(other.core_);
  }
  return *this;
}

ssl_socket::~ssl_socket() {
  try {
    if (core_) close();
  } catch (...) {  // a destructor reports nothing, as socket's
  }
}

detail::ssl_core& ssl_socket::core() const {
  if (!core_) raise_os_error(EBADF);
  return *core_;
}

// TLS I/O while the session is up; the plain socket's (Python: super()) before connect(),
// after shutdown()/unwrap() and after close() (then EBADF).
#define PYSOCK_TLS_ACTIVE(c) ((c).tls_active && !(c).closed)

void ssl_socket::connect(const address& addr) {
  auto& c = core();
  if (c.options.server_side) throw value_error("can't connect in server-side mode");
  if (c.tls_active) throw value_error("attempt to connect already-connected SSLSocket!");
  c.sock.connect(addr);
  c.start_tls();
  if (c.options.do_handshake_on_connect) do_handshake();
}

int ssl_socket::connect_ex(const address& addr) {
  auto& c = core();
  if (c.options.server_side) throw value_error("can't connect in server-side mode");
  if (c.tls_active) throw value_error("attempt to connect already-connected SSLSocket!");
  const int rc = c.sock.connect_ex(addr);
  if (rc != 0) return rc;
  c.start_tls();
  if (c.options.do_handshake_on_connect) do_handshake();
  return 0;
}

std::pair<ssl_socket, address> ssl_socket::accept() {
  auto& c = core();
  auto [sock, addr] = c.sock.accept();
  auto wrapped = c.context.wrap_socket(
      std::move(sock), {.server_side = true,
                        .do_handshake_on_connect = c.options.do_handshake_on_connect,
                        .suppress_ragged_eofs = c.options.suppress_ragged_eofs,
                        .close_notify_on_close = c.options.close_notify_on_close});
  return {std::move(wrapped), std::move(addr)};
}

void ssl_socket::do_handshake() {
  auto& c = core();
  if (!c.ssl) throw value_error("handshake not done yet");
  c.do_handshake();
}

std::string ssl_socket::recv(std::size_t bufsize) {
  std::string data(bufsize, '\0');
  data.resize(recv_into(std::as_writable_bytes(std::span(data))));
  return data;
}

std::size_t ssl_socket::recv_into(std::span<std::byte> buffer, std::size_t nbytes) {
  auto& c = core();
  if (nbytes > buffer.size()) throw value_error("buffer too small for requested bytes");
  if (nbytes) buffer = buffer.first(nbytes);
  if (!PYSOCK_TLS_ACTIVE(c)) return c.sock.recv_into(buffer);
  return c.read(buffer);
}

std::size_t ssl_socket::send(std::span<const std::byte> data) {
  auto& c = core();
  if (!PYSOCK_TLS_ACTIVE(c)) return c.sock.send(data);
  return c.write(data);
}

std::size_t ssl_socket::send(std::string_view data) {
  return send(std::as_bytes(std::span(data)));
}

// One SSL_write for the whole buffer (no partial writes): one deadline, as in Python.
void ssl_socket::sendall(std::span<const std::byte> data) {
  auto& c = core();
  if (!PYSOCK_TLS_ACTIVE(c)) return c.sock.sendall(data);
  c.write(data);
}

void ssl_socket::sendall(std::string_view data) {
  sendall(std::as_bytes(std::span(data)));
}

std::uint64_t ssl_socket::sendfile(int file_fd, std::uint64_t offset,
                                   std::optional<std::uint64_t> count) {
  auto& c = core();
  if (!PYSOCK_TLS_ACTIVE(c)) return c.sock.sendfile(file_fd, offset, count);
  if (count && *count == 0) throw value_error("count must be a positive integer (got 0)");
  if (c.timeout && c.timeout->count() == 0)
    throw value_error("non-blocking sockets are not supported");
  std::uint64_t sent = 0;
  struct final_position {  // the file position ends at offset + sent, also after an error
    int fd;
    const std::uint64_t& offset;
    const std::uint64_t& sent;
    ~final_position() {
      if (sent) ::lseek(fd, static_cast<off_t>(offset + sent), SEEK_SET);
    }
  } position{file_fd, offset, sent};
  struct stat info {};
  const bool regular = ::fstat(file_fd, &info) == 0 && S_ISREG(info.st_mode);
  if (regular && c.ktls_send()) {
    const auto size = static_cast<std::uint64_t>(info.st_size);
    const std::uint64_t rest = offset < size ? size - offset : 0;
    detail::sendfile_ktls(c, file_fd, offset, count ? std::min(*count, rest) : rest, sent);
  } else {
    detail::sendfile_by_copy(c, file_fd, offset, count, sent);
  }
  return sent;
}

std::uint64_t ssl_socket::sendfile(const std::filesystem::path& path, std::uint64_t offset,
                                   std::optional<std::uint64_t> count) {
  owned_fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) raise_os_error(errno, path.string());
  return sendfile(file.get(), offset, count);
}

std::size_t ssl_socket::pending() const {
  auto& c = core();
  if (!PYSOCK_TLS_ACTIVE(c)) return 0;
  std::lock_guard lock(c.mutex);
  return static_cast<std::size_t>(SSL_pending(c.ssl));
}

socket ssl_socket::unwrap() {
  auto& c = core();
  if (!PYSOCK_TLS_ACTIVE(c)) throw value_error("No SSL wrapper around " + repr());
  c.unwrap_tls();
  c.tls_active = false;
  c.sock.settimeout(c.timeout);
  c.closed = true;
  return std::move(c.sock);
}

void ssl_socket::shutdown(shut how) {
  auto& c = core();
  if (c.tls_active.exchange(false)) c.sock.settimeout(c.timeout);
  c.sock.shutdown(how);
}

void ssl_socket::close() {
  if (!core_) return;
  if (core_->options.close_notify_on_close && PYSOCK_TLS_ACTIVE(*core_)) core_->send_close_notify();
  core_->closed = true;
  core_->sock.close();
}

bool ssl_socket::closed() const noexcept {
  return !core_ || core_->closed;
}

int ssl_socket::fileno() const noexcept {
  return core_ ? core_->sock.fileno() : -1;
}

timeout ssl_socket::gettimeout() const {
  return core().timeout;
}

void ssl_socket::settimeout(timeout t) {
  auto& c = core();
  c.sock.settimeout(t);  // checks the value; the fd stays non-blocking while TLS is up
  c.timeout = t;
  if (c.tls_active) c.sock.settimeout(timeout(0));
}

bool ssl_socket::getblocking() const {
  const auto t = gettimeout();
  return !t || t->count() != 0;
}

address ssl_socket::getsockname() const {
  return core().sock.getsockname();
}
address ssl_socket::getpeername() const {
  return core().sock.getpeername();
}
family ssl_socket::family() const {
  return core().sock.family();
}
sock_type ssl_socket::type() const {
  return core().sock.type();
}

namespace {

// The handshaken session, or nullptr (before the handshake, after close/unwrap).
SSL* session(const std::shared_ptr<detail::ssl_core>& core) {
  if (!core || !PYSOCK_TLS_ACTIVE(*core) || !SSL_is_init_finished(core->ssl)) return nullptr;
  return core->ssl;
}

struct x509_deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};

}  // namespace

std::optional<peer_certificate> ssl_socket::getpeercert() const {
  SSL* s = session(core_);
  if (!s) throw value_error("handshake not done yet");
  std::lock_guard lock(core_->mutex);
  std::unique_ptr<X509, x509_deleter> cert(SSL_get1_peer_certificate(s));
  if (!cert) return std::nullopt;
  if (!(SSL_CTX_get_verify_mode(SSL_get_SSL_CTX(s)) & SSL_VERIFY_PEER)) return peer_certificate{};
  return detail::decode_certificate(cert.get());
}

std::optional<std::string> ssl_socket::getpeercert(binary_form_t) const {
  SSL* s = session(core_);
  if (!s) throw value_error("handshake not done yet");
  std::lock_guard lock(core_->mutex);
  std::unique_ptr<X509, x509_deleter> cert(SSL_get1_peer_certificate(s));
  if (!cert) return std::nullopt;
  return detail::certificate_der(cert.get());
}

std::optional<cipher_info> ssl_socket::cipher() const {
  SSL* s = session(core_);
  if (!s) return std::nullopt;
  std::lock_guard lock(core_->mutex);
  const SSL_CIPHER* current = SSL_get_current_cipher(s);
  if (!current) return std::nullopt;
  return cipher_info{SSL_CIPHER_get_name(current), SSL_CIPHER_get_version(current),
                     SSL_CIPHER_get_bits(current, nullptr)};
}

std::optional<std::string> ssl_socket::version() const {
  SSL* s = session(core_);
  if (!s) return std::nullopt;
  std::lock_guard lock(core_->mutex);
  return SSL_get_version(s);
}

std::optional<std::string> ssl_socket::selected_alpn_protocol() const {
  SSL* s = session(core_);
  if (!s) return std::nullopt;
  std::lock_guard lock(core_->mutex);
  const unsigned char* name = nullptr;
  unsigned int size = 0;
  SSL_get0_alpn_selected(s, &name, &size);
  if (size == 0) return std::nullopt;
  return std::string(reinterpret_cast<const char*>(name), size);
}

bool ssl_socket::server_side() const noexcept {
  return core_ && core_->options.server_side;
}

const std::optional<std::string>& ssl_socket::server_hostname() const noexcept {
  static const std::optional<std::string> none;
  return core_ ? core_->options.server_hostname : none;
}

bool ssl_socket::suppress_ragged_eofs() const noexcept {
  return core_ && core_->options.suppress_ragged_eofs;
}

ssl_context ssl_socket::context() const {
  return core().context;
}

std::string ssl_socket::repr() const {
  if (!core_) return "<pysock.ssl_socket [closed] fd=-1>";
  auto text = core_->sock.repr();
  const std::string plain = "<pysock.socket";
  if (text.starts_with(plain)) text.replace(0, plain.size(), "<pysock.ssl_socket");
  return text;
}

ssl_io_ref ssl_socket::io_ref() {
  auto& c = core();
  return ssl_io_ref(core_, c.sock.io_ref());
}

io::file ssl_socket::makefile(std::string_view mode, makefile_options options) {
  return pysock::makefile(*this, mode, std::move(options));
}

io::file ssl_socket::makefile(std::string_view mode) {
  return pysock::makefile(*this, mode);
}

ssl_io_ref::ssl_io_ref(std::shared_ptr<detail::ssl_core> core, socket_io_ref plain) noexcept
    : core_(std::move(core)), plain_(std::move(plain)) {}

ssl_io_ref& ssl_io_ref::operator=(ssl_io_ref&& other) noexcept {
  if (this != &other) {
    release();
    core_ = std::move(other.core_);
    plain_ = std::move(other.plain_);
  }
  return *this;
}

// Through TLS while the session is up (also after the ssl_socket was closed: this reference
// keeps the connection), else the plain socket's.
std::size_t ssl_io_ref::recv_into(std::span<std::byte> buffer) {
  if (!core_ || !core_->tls_active) return plain_.recv_into(buffer);
  return core_->read(buffer);
}

std::size_t ssl_io_ref::send(std::span<const std::byte> data) {
  if (!core_ || !core_->tls_active) return plain_.send(data);
  return core_->write(data);
}

timeout ssl_io_ref::gettimeout() const {
  return core_ ? core_->timeout : plain_.gettimeout();
}
int ssl_io_ref::fileno() const noexcept {
  return plain_.fileno();
}
bool ssl_io_ref::closed() const noexcept {
  return plain_.closed();
}

void ssl_io_ref::release() noexcept {
  plain_.release();
  core_.reset();
}

void ssl_io_ref::close() {
  core_.reset();
  plain_.close();
}

#undef PYSOCK_TLS_ACTIVE

}  // namespace pysock
