// io::file: the value type makefile() returns; dispatch per mode, RAII, lines(), views.
#include <gtest/gtest.h>

#include "pysock/io/text.hpp"
#include "pysock/makefile.hpp"
#include "support/helpers.hpp"

using pysock::socket;
using opt = std::optional<std::string>;

TEST(File, BehavesAsThePythonObjectOfEachMode) {
  auto [a, b] = pysock_test::unix_pair();
  auto reader = a.makefile("rb");
  EXPECT_THROW(reader.write("x"), pysock::unsupported_operation);  // BufferedReader.write
  auto writer = a.makefile("wb");
  EXPECT_THROW(writer.read(), pysock::unsupported_operation);
  EXPECT_THROW(writer.peek(), pysock::io::attribute_error);
  auto text = a.makefile("r");
  EXPECT_EQ(text.encoding(), "utf-8");
  EXPECT_EQ(text.errors(), "strict");
  EXPECT_TRUE(text.newlines().empty());
  EXPECT_FALSE(text.line_buffering());
  EXPECT_THROW(text.readline_view(), pysock::unsupported_operation);
  auto pair = a.makefile("rwb");
  EXPECT_THROW(pair.fileno(), pysock::unsupported_operation);
  EXPECT_THROW(pair.name(), pysock::io::attribute_error);
}

// What each layer offers the layers above it (io_base::fast_paths(), the one query that replaced
// RTTI): its own parts, and nothing for a layer it does not know.
TEST(File, EachLayerNamesItsFastPaths) {
  auto [a, b] = pysock_test::unix_pair();
  auto raw = a.makefile("rb", {.buffering = 0});
  auto* socket_io = dynamic_cast<pysock::io::raw_io*>(&raw.stream());
  auto raw_paths = raw.stream().fast_paths();
  EXPECT_EQ(raw_paths.raw, socket_io);
  EXPECT_EQ(raw_paths.closed_raw, socket_io);
  EXPECT_EQ(raw_paths.reader, nullptr);
  EXPECT_EQ(raw_paths.lender, nullptr);

  auto reader = a.makefile("rb");
  auto& buffered = dynamic_cast<pysock::io::buffered_reader&>(reader.stream());
  auto reader_paths = buffered.fast_paths();
  EXPECT_EQ(reader_paths.reader, &buffered);
  EXPECT_EQ(reader_paths.lender, &buffered);
  EXPECT_EQ(reader_paths.closed_raw, buffered.raw().get());
  EXPECT_EQ(reader_paths.raw, nullptr);
  EXPECT_EQ(reader_paths.writer, nullptr);

  auto pair = a.makefile("rwb");
  auto& rw = dynamic_cast<pysock::io::buffered_rw_pair&>(pair.stream());
  auto pair_paths = rw.fast_paths();
  EXPECT_EQ(pair_paths.reader, &rw.reader());
  EXPECT_EQ(pair_paths.writer, &rw.writer());
  EXPECT_EQ(pair_paths.lender, &rw.reader());
  EXPECT_EQ(pair_paths.closed_raw, rw.writer().raw().get());  // the pair's `closed` is its writer's

  auto text = a.makefile("r");
  auto& wrapper = dynamic_cast<pysock::io::text_io_wrapper&>(text.stream());
  auto text_paths = wrapper.fast_paths();
  EXPECT_EQ(text_paths.lender, &wrapper);
  EXPECT_EQ(text_paths.reader, nullptr);  // no binary reader behind a text file's API
  EXPECT_EQ(text_paths.closed_raw,
            dynamic_cast<pysock::io::buffered_reader&>(wrapper.buffer()).raw().get());
}

// readinto1 exists where Python has it: BufferedReader and BufferedRWPair. BufferedWriter's
// inherited one fails on read1; SocketIO and TextIOWrapper have none.
TEST(File, Readinto1ByMode) {
  auto [a, b] = pysock_test::unix_pair();
  std::string buffer(5, '\0');
  const auto into = std::as_writable_bytes(std::span(buffer.data(), buffer.size()));
  b.sendall("abc");
  auto reader = a.makefile("rb");
  EXPECT_EQ(reader.readinto1(into), 3u);
  EXPECT_EQ(buffer.substr(0, 3), "abc");
  reader.close();
  EXPECT_THROW(reader.readinto1(into), pysock::value_error);  // "readinto of closed file"
  b.sendall("xy");
  auto pair = a.makefile("rwb");
  EXPECT_EQ(pair.readinto1(into), 2u);
  EXPECT_EQ(buffer.substr(0, 2), "xy");
  auto writer = a.makefile("wb");
  EXPECT_THROW(writer.readinto1(into), pysock::unsupported_operation);
  writer.close();
  EXPECT_THROW(writer.readinto1(into), pysock::unsupported_operation);  // still read1's error
  EXPECT_THROW(a.makefile("rb", {.buffering = 0}).readinto1(into), pysock::io::attribute_error);
  EXPECT_THROW(a.makefile("r").readinto1(into), pysock::io::attribute_error);
  b.close();
  EXPECT_EQ(pair.readinto1(into), 0u);  // EOF
}

TEST(File, LinesRangeAndViews) {
  auto [a, b] = pysock_test::unix_pair();
  b.sendall("one\ntwo\nthree\nfour");
  b.shutdown(pysock::shut::wr);
  auto f = a.makefile("rb");
  EXPECT_EQ(f.readline_view(), "one\n");
  EXPECT_EQ(f.read_view(2), "tw");
  std::vector<std::string> rest;
  for (auto& line : f.lines())
    rest.push_back(line);
  EXPECT_EQ(rest, (std::vector<std::string>{"o\n", "three\n", "four"}));
  f.close();
  EXPECT_THROW(f.lines().begin(), pysock::value_error);
}

TEST(File, DestructionFlushesAndReleasesTheReferenceOnce) {
  auto [a, b] = pysock_test::unix_pair();
  {
    auto f = a.makefile("w");
    f.write("bye\n");
    a.close();
  }
  EXPECT_EQ(a.fileno(), -1);
  EXPECT_EQ(b.recv(10), "bye\n");
}

TEST(File, MoveAssignmentClosesTheOldFile) {
  auto [a, b] = pysock_test::unix_pair();
  auto f = a.makefile("wb");
  f.write("x");
  f = a.makefile("rb");  // the writer was flushed and closed
  EXPECT_EQ(b.recv(1), "x");
  pysock::io::file moved = std::move(f);
  EXPECT_TRUE(f.closed());
  EXPECT_THROW(f.read(), pysock::value_error);
  EXPECT_FALSE(moved.closed());
}

TEST(File, TextReadCountsCodePoints) {
  auto [a, b] = pysock_test::unix_pair();
  b.sendall("\xc3\xa9t\xc3\xa9\r\nx");
  b.shutdown(pysock::shut::wr);
  auto f = a.makefile("r");
  EXPECT_EQ(f.read(2), opt("\xc3\xa9t"));
  EXPECT_EQ(f.readline(), "\xc3\xa9\n");
  EXPECT_EQ(f.newlines(), std::vector<std::string>{"\r\n"});
  EXPECT_EQ(f.read(), opt("x"));
}
