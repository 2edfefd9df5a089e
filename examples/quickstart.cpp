// pysock quickstart: one process, loopback only, a few seconds. It walks through what pysock
// gives a C++ program that Python programmers know from socket, io and weakref.finalize, prints
// what it does, and exits non-zero if any check fails.
#include <fcntl.h>
#include <unistd.h>
#include <pysock/pysock.hpp>

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

}  // namespace

int main() try {
  // 6. finalize: the temporary file goes away at exit, whatever path main takes out.
  const fs::path scratch =
      fs::temp_directory_path() / ("pysock-quickstart-" + std::to_string(::getpid()) + ".bin");
  auto scratch_owner = pysock::make_finalizable<fs::path>(scratch);
  pysock::finalize(
      scratch_owner,
      [](const fs::path& p) {
        fs::remove(p);
        std::cout << "\n6. finalize at exit removed " << p.filename() << '\n';
      },
      scratch);

  pysock::socket server = start_server();
  text_conversation(server);
  send_a_file(server, scratch);
  pass_a_pipe();

  std::cout << (failures == 0 ? "\nquickstart: all checks passed\n" : "\nquickstart: FAILED\n");
  std::exit(failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE);  // the finalizer still runs
} catch (const std::exception& e) {
  std::cerr << "quickstart: " << e.what() << '\n';
  return EXIT_FAILURE;
}
