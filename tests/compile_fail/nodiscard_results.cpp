// Results whose loss loses data or a resource are [[nodiscard]] (issue 17): a partial send's
// count, what recv_into filled, connect_ex's errno, a detached fd, what a raw write took,
// sendfile's count, and every factory's socket. Each discarded call below is one diagnostic.
// The raw write is called on socket_io, which is final: g++ 12 does not diagnose a discarded
// [[nodiscard]] result of a virtual call (clang does).
// expect-error: ignoring return value
// expect-error-count: 13
#include <pysock/io/file.hpp>
#include <pysock/io/raw.hpp>
#include <pysock/net.hpp>
#include <pysock/socket.hpp>

#include <array>
#include <cstddef>

#ifdef PYSOCK_COMPILE_FAIL_CONTROL
#define DISCARD(call) static_cast<void>(call)
#else
#define DISCARD(call) call
#endif

void discard_everything(pysock::socket& s, pysock::io::socket_io<pysock::socket>& raw) {
  std::array<std::byte, 16> buffer{};
  DISCARD(s.send("partial"));
  DISCARD(s.recv_into(buffer));
  DISCARD(s.connect_ex(pysock::inet_address{"127.0.0.1", 1}));
  DISCARD(s.detach());
  DISCARD(raw.write("partial"));
  DISCARD(s.sendfile(0));
  DISCARD(pysock::socket::adopt(0));
  DISCARD(pysock::create_connection("127.0.0.1", 1));
  DISCARD(pysock::create_server(pysock::inet_address{"127.0.0.1", 0}));
  DISCARD(pysock::socketpair());
  DISCARD(pysock::fromfd(0, pysock::family::local, pysock::sock_type::stream));
  DISCARD(s.makefile("rb"));
  DISCARD(s.dup());
}

int main() {}
