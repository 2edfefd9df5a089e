// finalize() on an object that neither derives from finalizable nor comes from make_finalizable.
// expect-error: pysock::finalize: obj must derive \(publicly\) from pysock::finalizable
#include <pysock/finalize.hpp>

struct plain {};
struct registrable : pysock::finalizable {};

int main() {
#ifdef PYSOCK_COMPILE_FAIL_CONTROL
  registrable object;
#else
  plain object;
#endif
  pysock::finalize(object, [] {});
}
