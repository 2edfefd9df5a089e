// io::streambuf: std::istream / std::ostream over a file, sharing its buffer.
#include <gtest/gtest.h>

#include <istream>
#include <ostream>

#include "pysock/io/streambuf.hpp"
#include "pysock/makefile.hpp"
#include "support/helpers.hpp"

using pysock::socket;

TEST(Streambuf, GetlineAndReadlineInterleaveWithoutLosingAByte) {
  auto [a, b] = pysock_test::unix_pair();
  std::string sent;
  for (int i = 0; i < 2000; ++i)
    sent += "line " + std::to_string(i) + "\n";
  b.sendall(sent);
  b.shutdown(pysock::shut::wr);
  auto f = a.makefile("rb", {.buffering = 64});
  pysock::io::streambuf buf(f);
  std::istream in(&buf);
  std::string got, line;
  for (int i = 0; i < 2000; ++i) {
    if (i % 3 == 0) {
      got += f.readline();
    } else if (i % 3 == 1) {
      ASSERT_TRUE(std::getline(in, line));
      got += line + "\n";
    } else {
      char c = char(in.get());  // single characters through the get area
      got += c;
      got += f.readline();
    }
  }
  EXPECT_EQ(got, sent);
  EXPECT_FALSE(std::getline(in, line));
}

TEST(Streambuf, TextModeAndWrites) {
  auto [a, b] = pysock_test::unix_pair();
  b.sendall("caf\xc3\xa9\r\nnext\r\n");
  auto f = a.makefile("rw");
  pysock::io::streambuf buf(f);
  std::iostream io(&buf);
  std::string line;
  std::getline(io, line);
  EXPECT_EQ(line, "caf\xc3\xa9");
  EXPECT_EQ(f.readline(), "next\n");
  io << "answer " << 42 << std::endl;  // std::endl flushes the file
  EXPECT_EQ(b.recv(100), "answer 42\n");
}

TEST(Streambuf, ReadingAWriteOnlyFileIsEof) {
  auto [a, b] = pysock_test::unix_pair();
  auto f = a.makefile("wb");
  pysock::io::streambuf buf(f);
  std::istream in(&buf);
  EXPECT_EQ(in.get(), std::char_traits<char>::eof());
}
