// fn must be callable with the stored arguments.
// expect-error: pysock::finalize: fn must be callable as fn\(args\.\.\.\)
#include <pysock/finalize.hpp>

#include <string>

struct registrable : pysock::finalizable {};

void close_pool(const std::string&) {}

int main() {
  registrable object;
#ifdef PYSOCK_COMPILE_FAIL_CONTROL
  pysock::finalize(object, close_pool, "pool");
#else
  pysock::finalize(object, close_pool, 42);
#endif
}
