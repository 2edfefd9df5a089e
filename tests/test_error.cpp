// error.hpp: the OSError tree, the PEP 3151 errno map, Python-like messages.
#include "pysock/error.hpp"

#include <gtest/gtest.h>
#include <netdb.h>

#include <cerrno>
#include <functional>
#include <string>
#include <typeindex>
#include <typeinfo>

#include "support/expect_throw.hpp"

namespace {

using namespace pysock;

TEST(ErrorMap, EveryPep3151ErrnoHasItsClass) {
  const std::vector<std::pair<int, std::type_index>> map = {
      {EAGAIN, typeid(blocking_io_error)},
      {EWOULDBLOCK, typeid(blocking_io_error)},
      {EALREADY, typeid(blocking_io_error)},
      {EINPROGRESS, typeid(blocking_io_error)},
      {EPIPE, typeid(broken_pipe_error)},
      {ESHUTDOWN, typeid(broken_pipe_error)},
      {ECONNABORTED, typeid(connection_aborted_error)},
      {ECONNREFUSED, typeid(connection_refused_error)},
      {ECONNRESET, typeid(connection_reset_error)},
      {ETIMEDOUT, typeid(timeout_error)},
      {EINTR, typeid(interrupted_error)},
      {EACCES, typeid(permission_error)},
      {EPERM, typeid(permission_error)},
      {ENOENT, typeid(file_not_found_error)},
      {EEXIST, typeid(file_exists_error)},
      {ECHILD, typeid(child_process_error)},
      {ESRCH, typeid(process_lookup_error)},
      {EISDIR, typeid(is_a_directory_error)},
      {ENOTDIR, typeid(not_a_directory_error)},
      {EBADF, typeid(os_error)},
      {ENOTSOCK, typeid(os_error)},
      {EINVAL, typeid(os_error)},
  };
  for (const auto& expected : map) {  // not a structured binding: clang 14 cannot capture it
    const int errno_value = expected.first;
    SCOPED_TRACE("errno " + std::to_string(errno_value));
    EXPECT_THROW_WITH(raise_os_error(errno_value), os_error, [&](const os_error& e) {
      EXPECT_EQ(std::type_index(typeid(e)), expected.second);
      EXPECT_EQ(e.code().value(), errno_value);
      EXPECT_EQ(e.code().category(), std::generic_category());
    });
  }
}

TEST(ErrorMap, ConnectionErrorsShareTheirBase) {
  for (int errno_value : {EPIPE, ESHUTDOWN, ECONNABORTED, ECONNREFUSED, ECONNRESET}) {
    EXPECT_THROW(raise_os_error(errno_value), connection_error) << errno_value;
  }
  EXPECT_THROW(raise_os_error(EINTR), os_error);
  EXPECT_THROW(raise_os_error(ETIMEDOUT), std::system_error);
}

TEST(ErrorMessage, ReadsLikePythonStr) {
  EXPECT_THROW_WITH(raise_os_error(ECONNREFUSED), os_error, [](const os_error& e) {
    EXPECT_STREQ(e.what(), "[Errno 111] Connection refused");
    EXPECT_EQ(e.errno_value(), ECONNREFUSED);
    EXPECT_EQ(e.strerror(), "Connection refused");
    EXPECT_EQ(e.context(), "");
    EXPECT_EQ(e.code(), std::errc::connection_refused);
  });
}

TEST(ErrorMessage, ContextIsAppended) {
  EXPECT_THROW_WITH(raise_os_error(ECONNRESET, "recv"), connection_reset_error,
                    [](const connection_reset_error& e) {
                      EXPECT_STREQ(e.what(), "[Errno 104] Connection reset by peer: recv");
                      EXPECT_EQ(e.context(), "recv");
                    });
}

TEST(ErrorMessage, MessageOnlyErrorHasNoErrno) {
  const os_error e("getaddrinfo returns an empty list");
  EXPECT_STREQ(e.what(), "getaddrinfo returns an empty list");
  EXPECT_EQ(e.errno_value(), std::nullopt);
  EXPECT_EQ(e.strerror(), "");
}

TEST(ErrorMessage, SocketTimeoutIsTimedOut) {
  const timeout_error e;
  EXPECT_STREQ(e.what(), "timed out");
  EXPECT_EQ(e.errno_value(), std::nullopt);
  EXPECT_EQ(e.code(), std::errc::timed_out);
}

TEST(ErrorMessage, CustomStrerrorKeepsErrno) {
  const os_error e(std::error_code(EADDRINUSE, std::generic_category()),
                   "Address already in use (while attempting to bind on address ('127.0.0.1', 1))");
  EXPECT_STREQ(e.what(),
               "[Errno 98] Address already in use (while attempting to bind on address "
               "('127.0.0.1', 1))");
  EXPECT_EQ(e.errno_value(), EADDRINUSE);
}

TEST(ErrorMessage, BlockingIoErrorCarriesCharactersWritten) {
  const blocking_io_error e(EAGAIN, "write could not complete without blocking", 42);
  EXPECT_EQ(e.characters_written(), 42u);
  EXPECT_STREQ(e.what(), "[Errno 11] write could not complete without blocking");
}

TEST(GaiError, HasItsOwnCategory) {
  EXPECT_THROW_WITH(raise_gai_error(EAI_NONAME), pysock::gai_error, [](const pysock::gai_error& e) {
    EXPECT_STREQ(e.what(), "[Errno -2] Name or service not known");
    EXPECT_EQ(e.code().category(), gai_category());
    EXPECT_EQ(e.errno_value(), EAI_NONAME);
  });
  EXPECT_STREQ(gai_category().name(), "getaddrinfo");
}

TEST(GaiError, SystemErrorDefersToErrno) {
  EXPECT_THROW(raise_gai_error(EAI_SYSTEM, ECONNREFUSED), connection_refused_error);
}

TEST(HError, CategoryNamesResolverMessages) {
  const pysock::herror e(std::error_code(HOST_NOT_FOUND, herror_category()),
                         herror_category().message(HOST_NOT_FOUND));
  EXPECT_STREQ(e.what(), "[Errno 1] Unknown host");
}

TEST(UnicodeErrors, DecodeMessageForOneByte) {
  const unicode_decode_error e("utf-8", "abc\xff", 3, 4, "invalid start byte");
  EXPECT_STREQ(e.what(), "'utf-8' codec can't decode byte 0xff in position 3: invalid start byte");
  EXPECT_EQ(e.encoding(), "utf-8");
  EXPECT_EQ(e.start(), 3u);
  EXPECT_EQ(e.end(), 4u);
  EXPECT_EQ(e.reason(), "invalid start byte");
  EXPECT_EQ(e.object(), "abc\xff");
}

TEST(UnicodeErrors, DecodeMessageForSeveralBytes) {
  const unicode_decode_error e("utf-8", "a\xe2\x82", 1, 3, "unexpected end of data");
  EXPECT_STREQ(e.what(),
               "'utf-8' codec can't decode bytes in position 1-2: unexpected end of data");
}

TEST(UnicodeErrors, EncodeMessageEscapesTheCharacter) {
  EXPECT_STREQ(unicode_encode_error("ascii", "x\xc3\xa9", 1, 2, "ordinal not in range(128)").what(),
               "'ascii' codec can't encode character '\\xe9' in position 1: ordinal not in "
               "range(128)");
  EXPECT_STREQ(
      unicode_encode_error("latin-1", "\xe1\x88\xb4", 0, 1, "ordinal not in range(256)").what(),
      "'latin-1' codec can't encode character '\\u1234' in position 0: ordinal not in "
      "range(256)");
  EXPECT_STREQ(unicode_encode_error("ascii", "\xf0\x9f\x98\x80", 0, 1, "r").what(),
               "'ascii' codec can't encode character '\\U0001f600' in position 0: r");
  EXPECT_STREQ(unicode_encode_error("ascii", "ab\xc3\xa9\xc3\xa9", 2, 4, "r").what(),
               "'ascii' codec can't encode characters in position 2-3: r");
}

TEST(UnicodeErrors, AreValueErrors) {
  EXPECT_THROW(throw unicode_decode_error("utf-8", "\xff", 0, 1, "invalid start byte"),
               value_error);
  EXPECT_THROW(throw unicode_encode_error("ascii", "\xc3\xa9", 0, 1, "r"), std::invalid_argument);
  EXPECT_THROW(throw unicode_decode_error("ascii", "\xff", 0, 1, "r"), unicode_error);
  EXPECT_THROW(throw unicode_encode_error("ascii", "\xc3\xa9", 0, 1, "r"), unicode_error);
}

TEST(ExceptionGroup, HoldsAttemptsInOrder) {
  std::vector<std::exception_ptr> attempts = {
      std::make_exception_ptr(connection_refused_error(ECONNREFUSED)),
      std::make_exception_ptr(timeout_error())};
  const exception_group group("create_connection failed", attempts);
  EXPECT_STREQ(group.what(), "create_connection failed (2 sub-exceptions)");
  ASSERT_EQ(group.exceptions().size(), 2u);
  EXPECT_THROW(std::rethrow_exception(group.exceptions()[0]), connection_refused_error);
  EXPECT_THROW(std::rethrow_exception(group.exceptions()[1]), timeout_error);
  EXPECT_EQ(group.code(), std::errc::timed_out);
  const exception_group one("create_connection failed", {attempts[0]});
  EXPECT_STREQ(one.what(), "create_connection failed (1 sub-exception)");
}

TEST(OtherErrors, BaseClasses) {
  EXPECT_THROW(throw lookup_error("unknown encoding: x"), std::runtime_error);
  EXPECT_THROW(throw unsupported_operation("not readable"), os_error);
  EXPECT_STREQ(unsupported_operation("not readable").what(), "not readable");
}

}  // namespace
