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
#define EXPECT_THROW_WITH(statement, exception_class, ... /* check */)                         \
  do {                                                                                         \
    bool pysock_test_caught_ = false;                                                          \
    try {                                                                                      \
      statement;                                                                               \
    } catch (const exception_class& pysock_test_error_) {                                      \
      pysock_test_caught_ = true;                                                              \
      (__VA_ARGS__)(pysock_test_error_);                                                       \
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

// `statement` throws `exception_class` whose what() is `message`.
#define EXPECT_THROW_MSG(statement, exception_class, message)                                \
  EXPECT_THROW_WITH(statement, exception_class, [&](const exception_class& pysock_test_e_) { \
    EXPECT_EQ(std::string_view(pysock_test_e_.what()), std::string_view(message));           \
  })

// `statement` throws `exception_class` (an os_error class) whose errno is `expected_errno`.
#define EXPECT_THROW_ERRNO(statement, exception_class, expected_errno)                       \
  EXPECT_THROW_WITH(statement, exception_class, [&](const exception_class& pysock_test_e_) { \
    EXPECT_EQ(pysock_test_e_.errno_value(), std::optional<int>(expected_errno))              \
        << pysock_test_e_.what();                                                            \
  })
