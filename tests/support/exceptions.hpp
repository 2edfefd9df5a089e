// Counting thrown exceptions: a test binary that links support/exceptions.cpp
// (tests/counting.cmake) wraps the C++ runtime's __cxa_allocate_exception, which every throw
// expression calls once.
#pragma once

namespace pysock_test {

// The exceptions thrown (allocated for throwing) since the process started.
long exceptions_thrown() noexcept;

}  // namespace pysock_test
