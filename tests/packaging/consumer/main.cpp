// Uses pysock through its public header only; prints the socket's repr and checks a round trip.
#include <pysock/pysock.hpp>

#include <iostream>

int main() {
  pysock::socket listener;
  listener.bind(pysock::inet_address{"127.0.0.1", 0});
  listener.listen();
  pysock::socket client;
  client.connect(listener.getsockname());
  auto accepted = listener.accept();
  client.sendall("consumer");
  const bool ok = accepted.first.recv(64) == "consumer";
  std::cout << listener << (ok ? "\nconsumer ok\n" : "\nconsumer FAILED\n");
  return ok ? 0 : 1;
}
