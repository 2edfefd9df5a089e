#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "pysock/io/raw.hpp"
#include "ssl/core.hpp"
#include "ssl/error.hpp"

namespace pysock {
namespace detail {
namespace {

static_assert(op_all == (SSL_OP_ALL & ~SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS) &&
              op_enable_ktls == SSL_OP_ENABLE_KTLS &&
              op_ignore_unexpected_eof == SSL_OP_IGNORE_UNEXPECTED_EOF &&
              op_no_ticket == SSL_OP_NO_TICKET && op_no_compression == SSL_OP_NO_COMPRESSION &&
              op_enable_middlebox_compat == SSL_OP_ENABLE_MIDDLEBOX_COMPAT &&
              op_cipher_server_preference == SSL_OP_CIPHER_SERVER_PREFERENCE &&
              op_no_sslv3 == SSL_OP_NO_SSLv3 && op_no_tlsv1 == SSL_OP_NO_TLSv1 &&
              op_no_tlsv1_1 == SSL_OP_NO_TLSv1_1 && op_no_tlsv1_2 == SSL_OP_NO_TLSv1_2 &&
              op_no_tlsv1_3 == SSL_OP_NO_TLSv1_3 && op_no_renegotiation == SSL_OP_NO_RENEGOTIATION);
static_assert(verify_crl_check_leaf == X509_V_FLAG_CRL_CHECK &&
              verify_crl_check_chain == (X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL) &&
              verify_x509_strict == X509_V_FLAG_X509_STRICT &&
              verify_allow_proxy_certs == X509_V_FLAG_ALLOW_PROXY_CERTS &&
              verify_x509_trusted_first == X509_V_FLAG_TRUSTED_FIRST &&
              verify_x509_partial_chain == X509_V_FLAG_PARTIAL_CHAIN);

// _ssl.c's cipher string for OpenSSL 3 (17 suites at security level 2).
constexpr const char* default_ciphers =
    "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM";

// The options _ssl.c sets on a new context (0x82520050 with OpenSSL 3.0).
constexpr std::uint64_t default_options =
    (SSL_OP_ALL & ~SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS) | SSL_OP_NO_SSLv3 | SSL_OP_NO_COMPRESSION |
    SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_ENABLE_MIDDLEBOX_COMPAT;

// The server's ALPN choice: the first of its own protocols that the client offers; none →
// the handshake goes on without ALPN (SSL_TLSEXT_ERR_NOACK), as in Python.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
  const auto& wire = static_cast<ssl_context_core*>(arg)->alpn_wire;
  unsigned char* selected = nullptr;
  if (wire.empty() || SSL_select_next_proto(
                          &selected, outlen, reinterpret_cast<const unsigned char*>(wire.data()),
                          static_cast<unsigned>(wire.size()), in, inlen) != OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = selected;
  return SSL_TLSEXT_ERR_OK;
}

X509_VERIFY_PARAM* params(SSL_CTX* ctx) {
  return SSL_CTX_get0_param(ctx);
}

// Runs an OpenSSL file-loading call with errno cleared first, so a missing file is reported as
// Python reports it (FileNotFoundError) and anything else from the error queue.
template <class Call>
void load_file(Call call) {
  ERR_clear_error();
  errno = 0;
  if (call() != 1) raise_ssl_file_error(errno);
}

// Adds every certificate in `data` to the context's store; at least one, else Python's
// "... cadata does not contain a certificate".
void add_ca_certs(SSL_CTX* ctx, const void* data, std::size_t size, bool pem) {
  ERR_clear_error();
  BIO* bio = BIO_new_mem_buf(data, static_cast<int>(size));
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  int loaded = 0;
  for (;;) {
    X509* cert =
        pem ? PEM_read_bio_X509(bio, nullptr, nullptr, nullptr) : d2i_X509_bio(bio, nullptr);
    if (!cert) break;
    const int added = X509_STORE_add_cert(store, cert);
    X509_free(cert);
    if (!added) {
      const unsigned long e = ERR_peek_last_error();
      // A certificate already in the store is not an error (as in _ssl.c).
      if (ERR_GET_LIB(e) != ERR_LIB_X509 || ERR_GET_REASON(e) != X509_R_CERT_ALREADY_IN_HASH_TABLE)
        break;
      ERR_clear_error();
    }
    ++loaded;
  }
  BIO_free(bio);
  const unsigned long e = ERR_peek_last_error();
  const bool clean_end =
      e == 0 ||
      (pem && ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE) ||
      (!pem && ERR_GET_LIB(e) == ERR_LIB_ASN1 && ERR_GET_REASON(e) == ASN1_R_HEADER_TOO_LONG);
  if (loaded == 0) {
    ERR_clear_error();
    throw ssl_error(0, pem ? "no start line: cadata does not contain a certificate"
                           : "not enough data: cadata does not contain a certificate");
  }
  if (!clean_end) raise_ssl_library_error();
  ERR_clear_error();
}

// The password callback of load_cert_chain: copies what the caller's password gives.
int password_callback(char* buffer, int size, int, void* arg) {
  const auto& password = *static_cast<const ssl_password*>(arg);
  std::string text;
  if (const auto* fixed = std::get_if<std::string>(&password)) text = *fixed;
  if (const auto* call = std::get_if<std::function<std::string()>>(&password)) text = (*call)();
  if (text.size() > static_cast<std::size_t>(size)) return -1;
  std::memcpy(buffer, text.data(), text.size());
  return static_cast<int>(text.size());
}

int to_openssl_version(tls_version v, bool is_maximum) {
  switch (v) {
    case tls_version::minimum_supported:
      return is_maximum ? SSL3_VERSION : 0;
    case tls_version::maximum_supported:
      return is_maximum ? 0 : TLS1_3_VERSION;
    default:
      return static_cast<int>(v);
  }
}

// OpenSSL's keylog callback: the line (NSS key log format) appended to keylog_filename.
void write_keylog(const SSL* ssl, const char* line) {
  const auto* core =
      static_cast<const ssl_context_core*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (!core || core->keylog_fd < 0) return;
  const std::string text = std::string(line) + "\n";
  [[maybe_unused]] const auto written = ::write(core->keylog_fd, text.data(), text.size());
}

}  // namespace

ssl_context_core::ssl_context_core(ssl_protocol p) : protocol(p) {
  ctx = SSL_CTX_new(p == ssl_protocol::tls_client ? TLS_client_method() : TLS_server_method());
  if (!ctx) raise_ssl_library_error();
  const bool client = p == ssl_protocol::tls_client;
  check_hostname = client;
  SSL_CTX_set_verify(
      ctx, client ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE, nullptr);
  SSL_CTX_clear_options(ctx, SSL_CTX_get_options(ctx));
  SSL_CTX_set_options(ctx, default_options);
  SSL_CTX_set_cipher_list(ctx, default_ciphers);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_session_id_context(ctx, reinterpret_cast<const unsigned char*>("Python"), 6);
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  X509_VERIFY_PARAM_set_flags(params(ctx), X509_V_FLAG_TRUSTED_FIRST);
  X509_VERIFY_PARAM_set_hostflags(params(ctx), X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, this);
  SSL_CTX_set_app_data(ctx, this);
}

ssl_context_core::~ssl_context_core() {
  SSL_CTX_free(ctx);
  if (keylog_fd >= 0) ::close(keylog_fd);
}

}  // namespace detail

ssl_context::ssl_context(ssl_protocol protocol)
    : core_(std::make_shared<detail::ssl_context_core>(protocol)) {}

ssl_protocol ssl_context::protocol() const noexcept {
  return core_->protocol;
}

void ssl_context::load_verify_locations(std::optional<std::filesystem::path> cafile,
                                        std::optional<std::filesystem::path> capath,
                                        std::optional<ssl_cadata> cadata) {
  if (!cafile && !capath && !cadata)
    throw io::type_error("cafile, capath and cadata cannot be all omitted");
  if (cadata) {
    if (const auto* pem = std::get_if<std::string>(&*cadata)) {
      detail::add_ca_certs(core_->ctx, pem->data(), pem->size(), true);
    } else {
      const auto& der = std::get<std::vector<std::byte>>(*cadata);
      detail::add_ca_certs(core_->ctx, der.data(), der.size(), false);
    }
  }
  if (cafile || capath) {
    detail::load_file([&] {
      return SSL_CTX_load_verify_locations(core_->ctx, cafile ? cafile->c_str() : nullptr,
                                           capath ? capath->c_str() : nullptr);
    });
  }
}

void ssl_context::load_default_certs(purpose) {
  set_default_verify_paths();
}

void ssl_context::set_default_verify_paths() {
  ERR_clear_error();
  if (SSL_CTX_set_default_verify_paths(core_->ctx) != 1) detail::raise_ssl_library_error();
}

void ssl_context::load_cert_chain(const std::filesystem::path& certfile,
                                  std::optional<std::filesystem::path> keyfile,
                                  ssl_password password) {
  SSL_CTX* ctx = core_->ctx;
  SSL_CTX_set_default_passwd_cb(ctx, detail::password_callback);
  SSL_CTX_set_default_passwd_cb_userdata(ctx, &password);
  struct restore_callback {
    SSL_CTX* ctx;
    ~restore_callback() {
      SSL_CTX_set_default_passwd_cb(ctx, nullptr);
      SSL_CTX_set_default_passwd_cb_userdata(ctx, nullptr);
    }
  } restore{ctx};
  detail::load_file([&] { return SSL_CTX_use_certificate_chain_file(ctx, certfile.c_str()); });
  detail::load_file([&] {
    return SSL_CTX_use_PrivateKey_file(ctx, keyfile.value_or(certfile).c_str(), SSL_FILETYPE_PEM);
  });
  ERR_clear_error();
  if (SSL_CTX_check_private_key(ctx) != 1) detail::raise_ssl_library_error();
}

void ssl_context::set_ciphers(const std::string& ciphers) {
  if (SSL_CTX_set_cipher_list(core_->ctx, ciphers.c_str()) != 1) {
    ERR_clear_error();
    throw ssl_error("No cipher can be selected.");
  }
}

void ssl_context::set_alpn_protocols(const std::vector<std::string>& protocols) {
  std::string wire;
  for (const auto& name : protocols) {
    if (name.empty() || name.size() > 255)
      throw ssl_error("ALPN protocols must be 1 to 255 in length");
    wire += static_cast<char>(name.size());
    wire += name;
  }
  core_->alpn_wire = wire;
  if (SSL_CTX_set_alpn_protos(core_->ctx, reinterpret_cast<const unsigned char*>(wire.data()),
                              static_cast<unsigned>(wire.size())) != 0)
    detail::raise_ssl_library_error();
}

tls_version ssl_context::minimum_version() const {
  const long v = SSL_CTX_get_min_proto_version(core_->ctx);
  return v == 0 ? tls_version::minimum_supported : static_cast<tls_version>(v);
}

void ssl_context::minimum_version(tls_version v) {
  if (!SSL_CTX_set_min_proto_version(core_->ctx, detail::to_openssl_version(v, false)))
    throw value_error("Unsupported TLS/SSL version 0x" + std::to_string(static_cast<int>(v)));
}

tls_version ssl_context::maximum_version() const {
  const long v = SSL_CTX_get_max_proto_version(core_->ctx);
  return v == 0 ? tls_version::maximum_supported : static_cast<tls_version>(v);
}

void ssl_context::maximum_version(tls_version v) {
  if (!SSL_CTX_set_max_proto_version(core_->ctx, detail::to_openssl_version(v, true)))
    throw value_error("Unsupported TLS/SSL version 0x" + std::to_string(static_cast<int>(v)));
}

pysock::verify_mode ssl_context::verify_mode() const {
  const int mode = SSL_CTX_get_verify_mode(core_->ctx);
  if (!(mode & SSL_VERIFY_PEER)) return pysock::verify_mode::cert_none;
  return mode & SSL_VERIFY_FAIL_IF_NO_PEER_CERT ? pysock::verify_mode::cert_required
                                                : pysock::verify_mode::cert_optional;
}

void ssl_context::verify_mode(pysock::verify_mode mode) {
  if (mode == pysock::verify_mode::cert_none && core_->check_hostname)
    throw value_error("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.");
  int flags = SSL_VERIFY_NONE;
  if (mode == pysock::verify_mode::cert_optional) flags = SSL_VERIFY_PEER;
  if (mode == pysock::verify_mode::cert_required)
    flags = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  SSL_CTX_set_verify(core_->ctx, flags, nullptr);
}

bool ssl_context::check_hostname() const {
  return core_->check_hostname;
}

void ssl_context::check_hostname(bool on) {
  if (on && verify_mode() == pysock::verify_mode::cert_none)
    verify_mode(pysock::verify_mode::cert_required);
  core_->check_hostname = on;
}

std::uint64_t ssl_context::options() const {
  return SSL_CTX_get_options(core_->ctx);
}

void ssl_context::options(std::uint64_t op) {
  const std::uint64_t current = options();
  SSL_CTX_clear_options(core_->ctx, current & ~op);
  SSL_CTX_set_options(core_->ctx, ~current & op);
}

std::size_t ssl_context::num_tickets() const {
  return SSL_CTX_get_num_tickets(core_->ctx);
}

void ssl_context::num_tickets(std::size_t n) {
  if (core_->protocol != ssl_protocol::tls_server)
    throw value_error("SSLContext is not a server context.");
  SSL_CTX_set_num_tickets(core_->ctx, n);
}

unsigned long ssl_context::verify_flags() const {
  return X509_VERIFY_PARAM_get_flags(detail::params(core_->ctx));
}

void ssl_context::verify_flags(unsigned long flags) {
  X509_VERIFY_PARAM* p = detail::params(core_->ctx);
  const unsigned long current = X509_VERIFY_PARAM_get_flags(p);
  X509_VERIFY_PARAM_clear_flags(p, current & ~flags);
  X509_VERIFY_PARAM_set_flags(p, ~current & flags);
}

bool ssl_context::hostname_checks_common_name() const {
  return !(X509_VERIFY_PARAM_get_hostflags(detail::params(core_->ctx)) &
           X509_CHECK_FLAG_NEVER_CHECK_SUBJECT);
}

void ssl_context::hostname_checks_common_name(bool on) {
  X509_VERIFY_PARAM* p = detail::params(core_->ctx);
  unsigned int flags = X509_VERIFY_PARAM_get_hostflags(p);
  flags = on ? flags & ~X509_CHECK_FLAG_NEVER_CHECK_SUBJECT
             : flags | X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
  X509_VERIFY_PARAM_set_hostflags(p, flags);
}

const std::optional<std::filesystem::path>& ssl_context::keylog_filename() const noexcept {
  return core_->keylog_filename;
}

// As _ssl.c: the previous file is closed first, so a failed open leaves logging off; a new or
// empty file starts with a comment line.
void ssl_context::keylog_filename(std::optional<std::filesystem::path> path) {
  auto& c = *core_;
  SSL_CTX_set_keylog_callback(c.ctx, nullptr);
  c.keylog_filename.reset();
  if (c.keylog_fd >= 0) ::close(std::exchange(c.keylog_fd, -1));
  if (!path) return;
  owned_fd file(::open(path->c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666));
  if (!file) raise_os_error(errno, path->string());
  struct stat st {};
  if (::fstat(file.get(), &st) == 0 && st.st_size == 0) {
    const std::string_view header = "# TLS secrets log file, generated by OpenSSL / pysock\n";
    if (::write(file.get(), header.data(), header.size()) < 0)
      raise_os_error(errno, path->string());
  }
  c.keylog_fd = file.release();
  c.keylog_filename = std::move(path);
  SSL_CTX_set_keylog_callback(c.ctx, detail::write_keylog);
}

int ssl_context::security_level() const {
  return SSL_CTX_get_security_level(core_->ctx);
}

ssl_context create_default_context(purpose p, std::optional<std::filesystem::path> cafile,
                                   std::optional<std::filesystem::path> capath,
                                   std::optional<ssl_cadata> cadata) {
  ssl_context ctx(p == purpose::server_auth ? ssl_protocol::tls_client : ssl_protocol::tls_server);
  if (p == purpose::server_auth) {
    ctx.verify_mode(verify_mode::cert_required);
    ctx.check_hostname(true);
  }
  ctx.verify_flags(ctx.verify_flags() | verify_x509_partial_chain | verify_x509_strict);
  if (cafile || capath || cadata) {
    ctx.load_verify_locations(std::move(cafile), std::move(capath), std::move(cadata));
  } else if (ctx.verify_mode() != verify_mode::cert_none) {
    ctx.load_default_certs(p);
  }
  // Python 3.13 reads SSLKEYLOGFILE here (an empty value means none).
  if (const char* keylog = std::getenv("SSLKEYLOGFILE"); keylog && *keylog)
    ctx.keylog_filename(keylog);
  return ctx;
}

}  // namespace pysock
