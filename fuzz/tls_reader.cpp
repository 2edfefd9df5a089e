// Fuzzes the TLS read path: a pysock TLS server (ssl_socket over one end of an AF_UNIX
// socketpair) reads what a TLS client driven by the fuzzer sends. The client is OpenSSL on memory
// BIOs, so its encrypted stream is bytes in hand: the fuzzer chooses the records (sizes, and
// KeyUpdates between them), whether close_notify ends them, where the stream is truncated or a
// byte flipped, and the chunk sizes in which the stream reaches the socket. While chunks arrive
// the server reads non-blocking (recv of fuzzer-chosen sizes); then the socket sees EOF and the
// server reads blocking, through recv or makefile("rb").readline(), until the end. Invariants:
//  - what the server read is a prefix of the plaintext, and each recv(n) returned at most n
//    bytes; a non-blocking read that finds nothing raises ssl_want_read_error;
//  - an intact stream is read whole (through makefile: unless an error ends it, which drops the
//    partial last line as CPython's readline does); it then ends with b'' after close_notify, and
//    after a ragged end (truncated or no close_notify) with b'' when suppress_ragged_eofs, else
//    ssl_eof_error;
//  - a flipped byte ends in b'' or an ssl_error, and no other exception ever comes out;
//  - no crash, leak or sanitizer report (the handshake is redone for every input).
//
// Input: [flags] [truncate at: 2 bytes, fraction of the stream] [flip at: 2 bytes, fraction]
// [flip mask] [records: count, then 2 bytes each (size % 17000; 0 = KeyUpdate)] then the chunk
// plan (one byte per chunk or recv size; cycles). Flags: 1 close_notify, 2 suppress_ragged_eofs,
// 4 truncate, 8 flip a byte, 16 blocking phase through makefile, 32 KeyUpdates request an update,
// 64 TLS 1.2 (which has no KeyUpdate: size-0 records are left out).
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pysock/io/file.hpp"
#include "pysock/makefile.hpp"
#include "pysock/socket.hpp"
#include "pysock/ssl.hpp"
#include "support.hpp"

namespace {

using pysock_fuzz::check;

// The bits of the input's flags byte.
struct option {
  static constexpr std::uint8_t close_notify = 1;
  static constexpr std::uint8_t suppress_ragged_eofs = 2;
  static constexpr std::uint8_t truncate = 4;
  static constexpr std::uint8_t flip = 8;
  static constexpr std::uint8_t through_makefile = 16;
  static constexpr std::uint8_t update_requested = 32;
  static constexpr std::uint8_t tls1_2 = 64;
};
constexpr std::size_t max_records = 6;
constexpr std::size_t max_record_size = 17000;  // above 16 KiB: OpenSSL splits the write
constexpr std::size_t max_chunk = 1024;

// A throwaway server certificate made in-process (no openssl CLI in a fuzzer), written where
// load_cert_chain can read it.
struct server_identity {
  std::filesystem::path dir;
  std::filesystem::path cert, key;

  server_identity() {
    char pattern[] = "/tmp/pysock-fuzz-tls-XXXXXX";
    check(::mkdtemp(pattern) != nullptr);
    dir = pattern;
    cert = dir / "server.pem";
    key = dir / "server.key";
    EVP_PKEY* pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    X509* x509 = X509_new();
    check(pkey && x509);
    X509_set_version(x509, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x509), 1);
    X509_gmtime_adj(X509_getm_notBefore(x509), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x509), 3600L * 24 * 365);
    X509_NAME* name = X509_get_subject_name(x509);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(x509, name);
    X509_set_pubkey(x509, pkey);
    check(X509_sign(x509, pkey, EVP_sha256()) > 0);
    write_pem(cert, [&](FILE* f) { return PEM_write_X509(f, x509); });
    write_pem(key, [&](FILE* f) {
      return PEM_write_PrivateKey(f, pkey, nullptr, nullptr, 0, nullptr, nullptr);
    });
    X509_free(x509);
    EVP_PKEY_free(pkey);
  }
  ~server_identity() { std::filesystem::remove_all(dir); }

  template <class Write>
  static void write_pem(const std::filesystem::path& path, Write write) {
    FILE* f = std::fopen(path.c_str(), "w");
    check(f != nullptr && write(f) == 1);
    std::fclose(f);
  }
};

struct contexts {
  server_identity identity;
  pysock::ssl_context server{pysock::ssl_protocol::tls_server};
  SSL_CTX* client = SSL_CTX_new(TLS_client_method());

  contexts() {
    server.load_cert_chain(identity.cert, identity.key);
    server.num_tickets(0);  // nothing flows to the client after the handshake
    check(client != nullptr);
    SSL_CTX_set_verify(client, SSL_VERIFY_NONE, nullptr);
  }
  ~contexts() { SSL_CTX_free(client); }
};

contexts* shared = nullptr;

// The fuzzer-driven client: OpenSSL over memory BIOs; what it writes is collected, what the
// server sends is fed to it by hand.
class client {
 public:
  explicit client(bool tls1_2) : ssl_(SSL_new(shared->client)) {
    check(ssl_ != nullptr);
    if (tls1_2) SSL_set_max_proto_version(ssl_, TLS1_2_VERSION);
    SSL_set_bio(ssl_, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
    SSL_set_connect_state(ssl_);
  }
  ~client() { SSL_free(ssl_); }
  client(const client&) = delete;

  bool handshake_done() {
    ERR_clear_error();
    SSL_do_handshake(ssl_);
    return SSL_is_init_finished(ssl_);
  }
  void feed(std::string_view bytes) {
    if (!bytes.empty()) BIO_write(SSL_get_rbio(ssl_), bytes.data(), int(bytes.size()));
  }
  std::string take_output() {
    std::string out;
    char buf[16384];
    for (int n; (n = BIO_read(SSL_get_wbio(ssl_), buf, sizeof buf)) > 0;)
      out.append(buf, std::size_t(n));
    return out;
  }
  void write(std::string_view plaintext) {
    check(SSL_write(ssl_, plaintext.data(), int(plaintext.size())) == int(plaintext.size()));
  }
  void key_update(bool requested) {
    check(SSL_key_update(ssl_,
                         requested ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED) == 1);
    check(SSL_do_handshake(ssl_) == 1);  // sends the KeyUpdate now
  }
  void shutdown() { SSL_shutdown(ssl_); }

 private:
  SSL* ssl_;
};

std::string drain(int fd) {
  std::string out;
  char buf[16384];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0;)
    out.append(buf, std::size_t(n));
  return out;
}

// What a non-blocking send takes of `bytes` (0 when the socket is full).
std::size_t send_some(int fd, std::string_view bytes) {
  const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  check(n >= 0 || errno == EAGAIN);
  return n > 0 ? std::size_t(n) : 0;
}

void send_all(int fd, std::string_view bytes) {
  for (std::size_t sent; !bytes.empty(); bytes.remove_prefix(sent))
    check((sent = send_some(fd, bytes)) > 0);  // handshake flights always fit
}

// Both handshakes, stepped by hand with the server non-blocking: bounded, no thread.
void handshake(client& c, pysock::ssl_socket& server, int peer_fd) {
  bool server_done = false;
  for (int round = 0; round < 20 && !(server_done && c.handshake_done()); ++round) {
    c.handshake_done();
    send_all(peer_fd, c.take_output());
    if (!server_done) {
      try {
        server.do_handshake();
        server_done = true;
      } catch (const pysock::ssl_want_read_error&) {
      }
    }
    c.feed(drain(peer_fd));
  }
  check(server_done && c.handshake_done());
}

std::string plaintext_of(std::size_t size, std::size_t offset) {
  static constexpr std::string_view pattern = "0123456789\n";
  std::string text(size, '\0');
  for (std::size_t i = 0; i < size; ++i)
    text[i] = pattern[(offset + i) % pattern.size()];
  return text;
}

struct reading {
  std::string got;
  bool clean_end = false;        // b'' at the end
  bool eof_error = false;        // ssl_eof_error at the end
  bool other_ssl_error = false;  // another ssl_error (or an os_error) at the end
};

// The rest of the stream, blocking: recv of plan sizes or makefile("rb").readline().
void read_to_end(pysock::ssl_socket& server, bool makefile, pysock_fuzz::size_plan& plan,
                 reading& r) {
  server.settimeout(std::chrono::seconds(5));
  try {
    if (makefile) {
      auto file = server.makefile("rb");
      for (std::string line; !(line = file.readline()).empty();)
        r.got += line;
    } else {
      for (;;) {
        const std::size_t n = plan.next() + 1;
        const std::string chunk = server.recv(n);
        check(chunk.size() <= n);
        if (chunk.empty()) break;
        r.got += chunk;
      }
    }
    r.clean_end = true;
  } catch (const pysock::ssl_eof_error&) {
    r.eof_error = true;
  } catch (const pysock::ssl_error&) {
    r.other_ssl_error = true;
  } catch (const pysock::os_error&) {
    r.other_ssl_error = true;  // e.g. a reset; never a timeout (the peer end is shut down)
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  shared = new contexts;
  std::atexit([] { delete shared; });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  pysock_fuzz::input_reader in(data, size);
  const std::uint8_t flags = in.byte();
  const std::size_t truncate_at = std::size_t(in.byte()) << 8 | in.byte();
  const std::size_t flip_at = std::size_t(in.byte()) << 8 | in.byte();
  const std::uint8_t flip_mask = in.byte() | 1;
  std::vector<std::size_t> records(in.byte() % max_records + 1);
  for (auto& record : records)
    record = (std::size_t(in.byte()) << 8 | in.byte()) % max_record_size;
  pysock_fuzz::size_plan plan(in.rest(), max_chunk);

  int fds[2];
  check(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) == 0);
  const int big = 1 << 20;
  ::setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  auto server = shared->server.wrap_socket(
      pysock::socket::adopt(fds[0]),
      {.server_side = true,
       .do_handshake_on_connect = false,
       .suppress_ragged_eofs = (flags & option::suppress_ragged_eofs) != 0});
  server.settimeout(std::chrono::seconds(0));
  client c((flags & option::tls1_2) != 0);
  handshake(c, server, fds[1]);

  // The encrypted stream and its plaintext.
  std::string plaintext;
  for (std::size_t record : records) {
    if (record == 0) {
      if (!(flags & option::tls1_2)) c.key_update((flags & option::update_requested) != 0);
      continue;
    }
    const std::string text = plaintext_of(record, plaintext.size());
    c.write(text);
    plaintext += text;
  }
  if (flags & option::close_notify) c.shutdown();
  std::string stream = c.take_output();
  const std::size_t whole = stream.size();
  if (flags & option::truncate) stream.resize(whole * truncate_at / 0x10000);
  const bool flipped = (flags & option::flip) && !stream.empty();
  if (flipped) stream[stream.size() * flip_at / 0x10000] ^= char(flip_mask);

  // Chunks, each followed by one non-blocking read. Many small chunks can fill the socket (each
  // costs a buffer of its own): a chunk then goes in as far as it fits, and the reads that follow
  // drain the socket, since a read that wants more has taken all there was.
  reading r;
  bool ended = false;
  for (std::string_view rest = stream; !rest.empty() && !ended;) {
    rest.remove_prefix(send_some(fds[1], rest.substr(0, plan.next() + 1)));
    try {
      const std::size_t n = plan.next() + 1;
      const std::string got = server.recv(n);
      check(got.size() <= n);
      r.got += got;
      if (got.empty()) r.clean_end = ended = true;  // close_notify, before the socket's EOF
    } catch (const pysock::ssl_want_read_error&) {
    } catch (const pysock::ssl_error&) {
      check(flipped);  // an intact prefix never fails before its end
      ended = true;
    }
  }
  ::shutdown(fds[1], SHUT_WR);
  if (!ended) read_to_end(server, (flags & option::through_makefile) != 0, plan, r);

  check(r.got.size() <= plaintext.size() && plaintext.compare(0, r.got.size(), r.got) == 0);
  if (!flipped) {
    const bool intact = stream.size() == whole;
    const bool ragged = !intact || !(flags & option::close_notify);
    // An error drops the partial line readline() had gathered, as in CPython: only a clean
    // end or the raw path must deliver everything.
    if (intact && (r.clean_end || !(flags & option::through_makefile))) check(r.got == plaintext);
    if (!ragged) check(r.clean_end);
    if (ragged) check((flags & option::suppress_ragged_eofs) ? r.clean_end : r.eof_error);
    check(!r.other_ssl_error);
  }
  ::close(fds[1]);
  return 0;
}
