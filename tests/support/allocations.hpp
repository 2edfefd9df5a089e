// Counting allocations: a test binary that links support/allocations.cpp (tests/counting.cmake)
// has a replaced global operator new, so a test can show that a path allocates nothing.
#pragma once

namespace pysock_test {

// The calls of operator new (every form) since the process started; -1 where the count is not
// kept (under TSan, whose runtime owns operator new).
long allocation_count() noexcept;

}  // namespace pysock_test
