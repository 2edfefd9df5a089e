// The replaced operator new behind allocation_count(), linked into the binaries that
// tests/counting.cmake names.
#include "support/allocations.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define PYSOCK_TEST_NEW_IS_TAKEN 1  // TSan's runtime defines operator new itself (not weakly)
#endif
#endif

#ifdef PYSOCK_TEST_NEW_IS_TAKEN

long pysock_test::allocation_count() noexcept {
  return -1;
}

#else

namespace {
std::atomic<long> allocations{0};
}  // namespace

long pysock_test::allocation_count() noexcept {
  return allocations.load(std::memory_order_relaxed);
}

void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  return operator new(size);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}

#endif
