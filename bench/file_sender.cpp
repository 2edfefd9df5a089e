// W2 "pysock-sendfile": socket::sendfile of the whole file to the inherited socket --fd.
// W7 "pysock-tls-sendfile" (--tls --cert PATH --key PATH): the TLS server handshake on the fd
// before "ready", then ssl_socket::sendfile (SSL_sendfile when the kernel runs the send side of
// TLS, else read + SSL_write), close_notify, close.
#include <fcntl.h>

#include <cinttypes>
#include <cstdio>

#include "cli.hpp"
#include "pysock/pysock.hpp"
#include "tls.hpp"

namespace {

struct outcome {
  std::uint64_t sent;
  double seconds;
};

// Sends the file over `sock` (a socket or an ssl_socket) once the harness says "go", then ends
// the stream: close_notify first over TLS (unwrap() waits for the sink's answer, as Python's
// senders do), then shutdown(SHUT_WR) and close.
template <class Socket>
outcome send_file(Socket& sock, int file) {
  pysock_bench::ready_then_wait_for_go();
  const auto start = std::chrono::steady_clock::now();
  const std::uint64_t sent = sock.sendfile(file);
  pysock::socket plain = [&] {
    if constexpr (std::is_same_v<Socket, pysock::ssl_socket>) {
      return sock.unwrap();
    } else {
      return std::move(sock);
    }
  }();
  plain.shutdown(pysock::shut::wr);
  plain.close();
  return {sent, pysock_bench::seconds_since(start)};
}

}  // namespace

int main(int argc, char** argv) {
  return pysock_bench::run([&] {
    const pysock_bench::arguments args(argc, argv);
    auto sock = pysock::socket::adopt(static_cast<int>(args.number("fd")));
    const auto size = static_cast<std::uint64_t>(args.number("size"));
    const std::string path = args.text("file");
    // Opened before "ready", as the C++ reference does, so only the transfer is timed.
    const pysock::owned_fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!file) pysock::raise_os_error(errno, path);
    outcome result;
    std::string tls_fields;
    if (args.flag("tls")) {
      // Kernel TLS asked for, as cpp-ssl-sendfile does: where the kernel takes the keys,
      // sendfile is SSL_sendfile; elsewhere read + SSL_write under the per-call SIGPIPE guard.
      auto context = pysock_bench::server_context(args);
      context.options(context.options() | pysock::op_enable_ktls);
      auto tls = context.wrap_socket(std::move(sock), {.server_side = true});
      tls_fields = pysock_bench::tls_json_fields(tls);
      result = send_file(tls, file.get());
    } else {
      result = send_file(sock, file.get());
    }
    std::printf("{\"sender\":\"pysock-%ssendfile\",\"bytes\":%" PRIu64 ",\"seconds\":%.6f%s}\n",
                tls_fields.empty() ? "" : "tls-", result.sent, result.seconds, tls_fields.c_str());
    return result.sent == size ? 0 : 3;
  });
}
