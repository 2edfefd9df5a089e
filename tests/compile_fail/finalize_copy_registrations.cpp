// Copying a finalizable object would duplicate its registrations: the copy is deleted.
// expect-error: (deleted function|deleted copy constructor).*finalizable
#include <pysock/finalize.hpp>

#include <utility>

struct registrable : pysock::finalizable {};

int main() {
  registrable original;
  pysock::finalize(original, [] {});
#ifdef PYSOCK_COMPILE_FAIL_CONTROL
  registrable copy = std::move(original);
#else
  registrable copy = original;
#endif
  static_cast<void>(copy);
}
