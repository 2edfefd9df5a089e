#include "ssl/bio.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstdint>

namespace pysock::detail {
namespace {

int fd_of(BIO* b) {
  return static_cast<int>(reinterpret_cast<std::intptr_t>(BIO_get_data(b)));
}

// The errors after which the operation is retried (as BIO_sock_non_fatal_error for sockets).
bool retryable(int error) {
  return error == EAGAIN || error == EWOULDBLOCK || error == EINTR;
}

int write_nosignal(BIO* b, const char* data, int size) {
  BIO_clear_retry_flags(b);
  const ssize_t n = ::send(fd_of(b), data, static_cast<std::size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && retryable(errno)) BIO_set_retry_write(b);
  return static_cast<int>(n);
}

int read_socket(BIO* b, char* buffer, int size) {
  BIO_clear_retry_flags(b);
  const ssize_t n = ::recv(fd_of(b), buffer, static_cast<std::size_t>(size), 0);
  if (n < 0 && retryable(errno)) BIO_set_retry_read(b);
  if (n == 0 && size > 0) BIO_set_flags(b, BIO_FLAGS_IN_EOF);
  return static_cast<int>(n);
}

long control(BIO* b, int command, long, void* ptr) {
  switch (command) {
    case BIO_CTRL_EOF:
      return BIO_test_flags(b, BIO_FLAGS_IN_EOF) != 0;
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_C_GET_FD:
      if (ptr) *static_cast<int*>(ptr) = fd_of(b);
      return fd_of(b);
    default:
      return 0;  // no kTLS, no pending data of its own, nothing else
  }
}

int create(BIO* b) {
  BIO_set_init(b, 1);
  return 1;
}

BIO_METHOD* nosignal_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK | BIO_TYPE_DESCRIPTOR,
                                 "pysock socket (MSG_NOSIGNAL)");
    BIO_meth_set_write(m, write_nosignal);
    BIO_meth_set_read(m, read_socket);
    BIO_meth_set_ctrl(m, control);
    BIO_meth_set_create(m, create);
    return m;
  }();
  return method;
}

}  // namespace

BIO* new_nosignal_socket_bio(int fd) {
  BIO* b = BIO_new(nosignal_method());
  if (b) BIO_set_data(b, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd)));
  return b;
}

}  // namespace pysock::detail
