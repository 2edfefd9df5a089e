// makefile() for your own socket-like type: what urllib3's backport_makefile is for.
//
// `masked_socket` stands in for a TLS socket: it wraps a pysock::socket and transforms the bytes
// on the wire (a rolling XOR here, where TLS would encrypt). Because it models
// pysock::socket_like — recv_into, send, gettimeout, fileno, and io_ref() for the io reference —
// the whole io stack (buffered readers and writers, text decoding, newline translation) works
// on it unchanged: pysock::makefile(masked, "rw", ...) gives a text file over the masked stream.
#include <pysock/pysock.hpp>

#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace {

// The masking state of one direction of a connection.
class mask {
 public:
  explicit mask(unsigned char seed) : key_(seed) {}
  void apply(std::span<std::byte> bytes) {
    for (auto& b : bytes) {
      b ^= std::byte{key_};
      advance(1);
    }
  }
  void advance(std::size_t n) {
    for (; n > 0; --n)
      key_ = static_cast<unsigned char>(key_ * 33 + 7);
  }

 private:
  unsigned char key_;
};

// What a masked connection shares between the socket object and the files made from it, so
// that both keep masking where the other left off.
struct masked_state {
  mask incoming{0x5A};
  mask outgoing{0x5A};
};

// Receives into `buffer` with `receive` and unmasks what came.
template <class Receive>
std::size_t masked_recv(masked_state& state, std::span<std::byte> buffer, Receive receive) {
  const std::size_t n = receive(buffer);
  state.incoming.apply(buffer.first(n));
  return n;
}

// Masks a copy of `data` and sends it with `send`; the mask advances by what was taken only.
template <class Send>
std::size_t masked_send(masked_state& state, std::span<const std::byte> data, Send send) {
  std::vector<std::byte> masked(data.begin(), data.end());
  mask trial = state.outgoing;
  trial.apply(masked);
  const std::size_t n = send(std::span<const std::byte>(masked));
  state.outgoing.advance(n);
  return n;
}

// The io-reference handle makefile() keeps: the socket's own reference plus the masking state.
class masked_ref {
 public:
  masked_ref(pysock::socket_io_ref ref, std::shared_ptr<masked_state> state)
      : ref_(std::move(ref)), state_(std::move(state)) {}

  std::size_t recv_into(std::span<std::byte> buffer) {
    return masked_recv(*state_, buffer, [&](auto b) { return ref_.recv_into(b); });
  }
  std::size_t send(std::span<const std::byte> data) {
    return masked_send(*state_, data, [&](auto d) { return ref_.send(d); });
  }
  pysock::timeout gettimeout() const { return ref_.gettimeout(); }
  int fileno() const noexcept { return ref_.fileno(); }
  bool closed() const noexcept { return ref_.closed(); }
  void release() noexcept { ref_.release(); }

 private:
  pysock::socket_io_ref ref_;
  std::shared_ptr<masked_state> state_;
};

// The TLS-like socket: masked I/O of its own, and io_ref() for the files makefile() makes.
class masked_socket {
 public:
  explicit masked_socket(pysock::socket sock) : sock_(std::move(sock)) {}

  std::size_t recv_into(std::span<std::byte> buffer) {
    return masked_recv(*state_, buffer, [&](auto b) { return sock_.recv_into(b); });
  }
  std::size_t send(std::span<const std::byte> data) {
    return masked_send(*state_, data, [&](auto d) { return sock_.send(d); });
  }
  pysock::timeout gettimeout() const { return sock_.gettimeout(); }
  int fileno() const noexcept { return sock_.fileno(); }
  masked_ref io_ref() { return {sock_.io_ref(), state_}; }

 private:
  pysock::socket sock_;
  std::shared_ptr<masked_state> state_ = std::make_shared<masked_state>();
};

static_assert(pysock::socket_like<masked_socket>);

}  // namespace

int main() try {
  auto [a, b] = pysock::socketpair();
  pysock::socket raw_view = b.dup();  // to look at the bytes on the wire
  masked_socket secure(std::move(a));
  pysock::io::file out = pysock::makefile(secure, "w", {.encoding = "utf-8"});
  out.write("masked hello, wörld\n");
  out.flush();

  const std::string on_the_wire = raw_view.recv(1024);
  std::cout << "on the wire: " << on_the_wire.size() << " bytes, "
            << (on_the_wire.find("hello") == std::string::npos ? "unreadable" : "READABLE") << '\n';

  // The receiving side wraps its end the same way and reads text lines through the io stack.
  auto [c, d] = pysock::socketpair();
  masked_socket receiver(std::move(d));
  c.sendall(on_the_wire);
  c.shutdown(pysock::shut::wr);
  pysock::io::file in = pysock::makefile(receiver, "r", {.encoding = "utf-8"});
  const std::string line = in.readline();
  std::cout << "read through makefile over masked_socket: " << line;
  const bool ok = line == "masked hello, wörld\n" && on_the_wire.find("hello") == std::string::npos;
  std::cout << (ok ? "tls_like: ok\n" : "tls_like: FAILED\n");
  return ok ? EXIT_SUCCESS : EXIT_FAILURE;
} catch (const std::exception& e) {
  std::cerr << "tls_like: " << e.what() << '\n';
  return EXIT_FAILURE;
}
