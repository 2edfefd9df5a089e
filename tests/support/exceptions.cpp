// The __cxa_allocate_exception wrapper behind exceptions_thrown(), linked into the binaries that
// tests/counting.cmake names. It forwards to the runtime's own function (the next
// definition in the lookup order), so exceptions work as usual; sanitizers do not intercept it.
#include "support/exceptions.hpp"

#include <dlfcn.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>

namespace {
std::atomic<long> thrown{0};
using allocate_function = void* (*)(std::size_t) noexcept;
}  // namespace

long pysock_test::exceptions_thrown() noexcept {
  return thrown.load(std::memory_order_relaxed);
}

extern "C" void* __cxa_allocate_exception(std::size_t size) noexcept {
  static const auto next =
      reinterpret_cast<allocate_function>(::dlsym(RTLD_NEXT, "__cxa_allocate_exception"));
  if (!next) std::abort();
  thrown.fetch_add(1, std::memory_order_relaxed);
  return next(size);
}
