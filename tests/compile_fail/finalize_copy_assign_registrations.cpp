// Copy assignment of a finalizable object is deleted too.
// expect-error: (deleted function|deleted copy assignment operator).*finalizable
#include <pysock/finalize.hpp>

#include <utility>

struct registrable : pysock::finalizable {};

int main() {
  registrable original;
  registrable target;
  pysock::finalize(original, [] {});
#ifdef PYSOCK_COMPILE_FAIL_CONTROL
  target = std::move(original);
#else
  target = original;
#endif
}
