// pysock quickstart: one process, loopback only, a few seconds. It walks through what pysock
// gives a C++ program that Python programmers know from socket, io, ssl and weakref.finalize,
// prints what it does, and exits non-zero if any check fails.
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <unistd.h>
#include <pysock/makefile.hpp>
#include <pysock/pysock.hpp>
#include <pysock/ssl.hpp>

#include <cstdio>
#include <memory>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <thread>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "   ok: " : "   FAILED: ") << what << '\n';
  if (!ok) ++failures;
}

void step(const std::string& title) {
  std::cout << '\n' << title << '\n';
}

// FNV-1a, enough to show both ends saw the same bytes.
std::uint64_t checksum(std::string_view data, std::uint64_t hash = 14695981039346656037ull) {
  for (const char c : data)
    hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return hash;
}

// 1. A server on an ephemeral port: dual-stack when the machine has IPv6, else IPv4 only.
pysock::socket start_server() {
  step("1. create_server on an ephemeral port");
  const bool dualstack = pysock::has_dualstack_ipv6();
  pysock::socket server =
      dualstack ? pysock::create_server(pysock::inet6_address{"::", 0},
                                        {.family = pysock::family::inet6, .dualstack_ipv6 = true})
                : pysock::create_server(pysock::inet_address{"127.0.0.1", 0});
  std::cout << "   " << (dualstack ? "dual-stack (IPv4 and IPv6): " : "IPv4 only: ") << server
            << '\n';
  return server;
}

int port_of(const pysock::socket& s) {
  const auto addr = s.getsockname();
  if (const auto* in6 = std::get_if<pysock::inet6_address>(&addr)) return in6->port;
  return std::get<pysock::inet_address>(addr).port;
}

// 2-3. A client connects through the IPv4 loopback and the two talk text, both ways.
void text_conversation(pysock::socket& server) {
  step("2. create_connection to 127.0.0.1 with a 2 s timeout");
  pysock::socket client = pysock::create_connection("127.0.0.1", port_of(server), 2s);
  auto [served, peer] = server.accept();
  std::cout << "   client: " << client << "\n   served: " << served << '\n';

  step("3. a text conversation through makefile(\"rw\", utf-8, newline=\"\")");
  const pysock::makefile_options text{.encoding = "utf-8", .newline = ""};
  pysock::io::file client_file = client.makefile("rw", text);
  pysock::io::file server_file = served.makefile("rw", text);
  const std::string greeting = "Grüß Gott, 世界! ✓\r\n";
  client_file.write(greeting);
  client_file.write("second line\n");
  client_file.flush();
  const std::string first = server_file.readline();
  check(first == greeting, "server read the non-ASCII line, \\r\\n kept (newline=\"\"): " +
                               first.substr(0, first.size() - 2));
  check(server_file.readline() == "second line\n", "server read the second line");
  server_file.write("réponse: 2 lines\n");
  server_file.flush();
  check(client_file.readline() == "réponse: 2 lines\n", "client read the reply");
}

// 4. A generated multi-MiB file goes out with zero-copy sendfile; the receiver checks it.
void send_a_file(pysock::socket& server, const fs::path& path) {
  step("4. socket::sendfile of a generated 16 MiB file");
  std::string content(16 << 20, '\0');
  std::mt19937_64 rng(2026);
  for (auto& c : content)
    c = static_cast<char>(rng());
  std::ofstream(path, std::ios::binary)
      .write(content.data(), static_cast<std::streamsize>(content.size()));

  pysock::socket sender = pysock::create_connection("127.0.0.1", port_of(server), 5s);
  auto [receiver, peer] = server.accept();
  std::uint64_t received_sum = 0;
  std::size_t received = 0;
  std::thread reader([&, &receiver = receiver] {
    pysock::io::file in = receiver.makefile("rb");
    std::uint64_t hash = 14695981039346656037ull;
    for (std::string chunk; !(chunk = in.read1(1 << 16)).empty();) {
      hash = checksum(chunk, hash);
      received += chunk.size();
    }
    received_sum = hash;
  });
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t sent = sender.sendfile(path);
  sender.shutdown(pysock::shut::wr);
  reader.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "   sent " << sent << " bytes in " << seconds * 1e3 << " ms ("
            << static_cast<long>(sent / seconds / 1e6) << " MB/s)\n";
  check(sent == content.size() && received == content.size(), "every byte arrived");
  check(received_sum == checksum(content), "the receiver's checksum matches the file's");
}

// 5. A pipe's write end travels over a socketpair; a message goes through the passed fd.
void pass_a_pipe() {
  step("5. send_fds of a pipe over a socketpair");
  auto [left, right] = pysock::socketpair();
  std::cout << "   " << left << "\n   " << right << '\n';
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) pysock::raise_os_error(errno, "pipe2");
  pysock::owned_fd read_end(fds[0]);
  pysock::owned_fd write_end(fds[1]);
  const int to_send[] = {write_end.get()};
  const std::string_view offer = "take this pipe";
  left.sendall(offer.substr(pysock::send_fds(left, offer, to_send)));  // the rest, if any
  write_end.reset();  // only the received copy is left
  auto message = pysock::recv_fds(right, 64, 4);
  check(message.data == "take this pipe" && message.fds.size() == 1,
        "received the message and one fd (close-on-exec, owned)");
  const std::string note = "hello through a passed fd\n";
  check(
      ::write(message.fds[0].get(), note.data(), note.size()) == static_cast<ssize_t>(note.size()),
      "wrote through the received fd");
  message.fds.clear();
  char buffer[64] = {};
  const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
  check(n > 0 && std::string(buffer, static_cast<std::size_t>(n)) == note,
        "the message came out of the pipe's read end");
}

// The certificate of step 6, made here with OpenSSL's library (no openssl program needed): a
// self-signed P-256 certificate for localhost and 127.0.0.1, written as PEM to `dir`. The client
// trusts it as its own CA. Returns the certificate and key paths.
std::pair<fs::path, fs::path> make_certificate(const fs::path& dir) {
  auto fail = [](const char* what) { throw std::runtime_error(std::string("OpenSSL: ") + what); };
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) fail("cannot make a key");
  X509_set_version(cert.get(), 2);  // v3
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_subject_key_identifier, "hash"}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (!ext || !X509_add_ext(cert.get(), ext, -1)) fail("cannot add an extension");
    X509_EXTENSION_free(ext);
  }
  if (!X509_sign(cert.get(), key.get(), EVP_sha256())) fail("cannot sign");
  const fs::path cert_path = dir / "quickstart-cert.pem", key_path = dir / "quickstart-key.pem";
  std::unique_ptr<FILE, decltype(&std::fclose)> cert_file(std::fopen(cert_path.c_str(), "w"),
                                                          std::fclose);
  std::unique_ptr<FILE, decltype(&std::fclose)> key_file(std::fopen(key_path.c_str(), "w"),
                                                         std::fclose);
  if (!cert_file || !key_file || !PEM_write_X509(cert_file.get(), cert.get()) ||
      !PEM_write_PrivateKey(key_file.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr))
    fail("cannot write the PEM files");
  return {cert_path, key_path};
}

// 6. TLS on loopback: the server wraps what it accepts, the client verifies the server's
// certificate and name, and a text line goes each way through makefile over TLS.
void tls_conversation(const fs::path& cert, const fs::path& key) {
  step("6. TLS: wrap_socket on both ends, the server verified, makefile(\"rw\") over TLS");
  pysock::ssl_context server_context(pysock::ssl_protocol::tls_server);
  server_context.load_cert_chain(cert, key);
  pysock::ssl_context client_context = pysock::create_default_context(
      pysock::purpose::server_auth, cert);  // the self-signed certificate is its own CA
  pysock::socket listener = pysock::create_server(pysock::inet_address{"127.0.0.1", 0});
  listener.settimeout(5s);
  std::string server_heard;
  std::thread server([&] {
    auto [plain, peer] = listener.accept();
    pysock::ssl_socket tls = server_context.wrap_socket(std::move(plain), {.server_side = true});
    pysock::io::file file = tls.makefile("rw", {.encoding = "utf-8"});
    server_heard = file.readline();
    file.write("TLS réponse\n");
    file.flush();
    try {  // the client below refuses this handshake: the server sees its alert
      server_context.wrap_socket(listener.accept().first, {.server_side = true});
    } catch (const pysock::ssl_error&) {
    }
  });
  pysock::ssl_socket client =
      client_context.wrap_socket(pysock::create_connection("127.0.0.1", port_of(listener), 5s),
                                 {.server_hostname = "localhost"});
  const auto cipher = client.cipher();
  std::cout << "   negotiated: " << client.version().value_or("?") << ", "
            << (cipher ? cipher->name : "?") << '\n';
  const auto peer = client.getpeercert();
  check(peer && !peer->empty() && !peer->subject.empty() &&
            peer->subject.front().front().second == "localhost",
        "the client verified the server's certificate for 'localhost' (getpeercert)");
  pysock::io::file file = client.makefile("rw", {.encoding = "utf-8"});
  file.write("TLS grüße\n");
  file.flush();
  const std::string reply = file.readline();
  check(server_heard == "TLS grüße\n", "the server read the client's line");
  check(reply == "TLS réponse\n", "the client read the server's line");
  try {  // the same server, another name: verification must refuse it
    pysock::create_default_context(pysock::purpose::server_auth, cert)
        .wrap_socket(pysock::create_connection("127.0.0.1", port_of(listener), 5s),
                     {.server_hostname = "example.com"});
    check(false, "a wrong name was refused");
  } catch (const pysock::ssl_cert_verification_error& e) {
    check(true, std::string("a wrong name was refused: ") + e.what());
  }
  server.join();
}

}  // namespace

int main() try {
  // 7. finalize: the temporary files go away at exit, whatever path main takes out.
  const fs::path scratch =
      fs::temp_directory_path() / ("pysock-quickstart-" + std::to_string(::getpid()) + ".bin");
  auto scratch_owner = pysock::make_finalizable<fs::path>(scratch);
  pysock::finalize(
      scratch_owner,
      [](const fs::path& p) {
        fs::remove(p);
        std::cout << "\n7. finalize at exit removed " << p.filename() << '\n';
      },
      scratch);

  pysock::socket server = start_server();
  text_conversation(server);
  send_a_file(server, scratch);
  pass_a_pipe();
  const fs::path tls_dir = scratch.string() + ".tls";
  auto tls_dir_owner = pysock::make_finalizable<fs::path>(tls_dir);
  pysock::finalize(
      tls_dir_owner, [](const fs::path& p) { fs::remove_all(p); }, tls_dir);
  fs::create_directory(tls_dir);
  const auto [cert, key] = make_certificate(tls_dir);
  tls_conversation(cert, key);

  std::cout << (failures == 0 ? "\nquickstart: all checks passed\n" : "\nquickstart: FAILED\n");
  std::exit(failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE);  // the finalizer still runs
} catch (const std::exception& e) {
  std::cerr << "quickstart: " << e.what() << '\n';
  return EXIT_FAILURE;
}
