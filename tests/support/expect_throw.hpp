// Assertions on exceptions, as fmt's EXPECT_THROW_MSG: one place that checks the class and
// what the exception says, instead of hand-written try { ...; FAIL(); } catch blocks.
#pragma once

#include <exception>
#include <optional>
#include <string_view>

#include <gtest/gtest.h>

// `statement` throws `exception_class` (or a class derived from it), and `check` (a callable taking
// `const exception_class&`, e.g. a lambda) runs on what was caught. Throwing nothing or anything
// else is a test failure, reported with the statement's text.
#define EXPECT_THROW_WITH(statement, exception_class, ... /* check */) \
  PYSOCK_EXPECT_THROW_THEN(statement, exception_class, (__VA_ARGS__)(pysock_test_error_))

// `statement` throws `exception_class` whose what() is `message`.
#define EXPECT_THROW_MSG(statement, exception_class, message) \
  PYSOCK_EXPECT_THROW_THEN(                                   \
      statement, exception_class,                             \
      EXPECT_EQ(std::string_view(pysock_test_error_.what()), std::string_view(message)))

// `statement` throws `exception_class` (an os_error class) whose errno is `expected_errno`.
#define EXPECT_THROW_ERRNO(statement, exception_class, expected_errno)                \
  PYSOCK_EXPECT_THROW_THEN(                                                           \
      statement, exception_class,                                                     \
      EXPECT_EQ(pysock_test_error_.errno_value(), std::optional<int>(expected_errno)) \
          << pysock_test_error_.what())

// The one implementation: `check` is a statement run in the handler, where the caught exception
// is `pysock_test_error_`. The expected values are evaluated there, after `statement`, in the
// test's own scope (no lambda: clang 14 cannot capture structured bindings).
#define PYSOCK_EXPECT_THROW_THEN(statement, exception_class, check)                            \
  do {                                                                                         \
    bool pysock_test_caught_ = false;                                                          \
    try {                                                                                      \
      statement;                                                                               \
    } catch (const exception_class& pysock_test_error_) {                                      \
      pysock_test_caught_ = true;                                                              \
      check;                                                                                   \
    } catch (const std::exception& pysock_test_other_) {                                       \
      pysock_test_caught_ = true;                                                              \
      ADD_FAILURE() << "Expected: " #statement " throws " #exception_class                     \
                       "\n  Actual: it throws "                                                \
                    << typeid(pysock_test_other_).name() << ": " << pysock_test_other_.what(); \
    }                                                                                          \
    if (!pysock_test_caught_)                                                                  \
      ADD_FAILURE() << "Expected: " #statement " throws " #exception_class                     \
                       "\n  Actual: it throws nothing";                                        \
  } while (false)
