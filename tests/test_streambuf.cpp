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

// ---- output over an unbuffered file: every byte, or a reported failure -----------------------

namespace {

// 2 MiB, a different byte at each position so that a lost or repeated chunk shows.
std::string large_payload() {
  std::string data(2 << 20, '\0');
  for (std::size_t i = 0; i < data.size(); ++i)
    data[i] = char('a' + (i * 7 + i / 251) % 26);
  return data;
}

// A connection whose writer has a small send buffer and whose reader a small receive buffer, so
// that one send can take only a few KiB of a large write.
std::pair<socket, socket> narrow_pair() {
  auto [writer, reader] = pysock_test::unix_pair();
  writer.set_option(pysock::send_buffer_size(4096));
  reader.set_option(pysock::receive_buffer_size(4096));
  return {std::move(writer), std::move(reader)};
}

// Everything `reader` receives until EOF, in recvs of 1000 bytes (slower than the writer).
std::string drain(socket& reader) {
  std::string received;
  for (;;) {
    const std::string chunk = reader.recv(1000);
    if (chunk.empty()) return received;
    received += chunk;
  }
}

// `data` through std::ostream over makefile("wb", buffering 0) on a writer with timeout `t`,
// while a thread drains the reader; what arrived.
std::string stream_to_slow_reader(pysock::timeout t, const std::string& data) {
  auto [writer, reader] = narrow_pair();
  writer.settimeout(t);
  std::string received;
  std::thread reading([&received, &reader = reader] { received = drain(reader); });
  std::exception_ptr failure;
  try {
    auto f = writer.makefile("wb", {.buffering = 0});
    pysock::io::streambuf buf(f);
    std::ostream out(&buf);
    out << data << std::flush;
    EXPECT_TRUE(out.good());
  } catch (...) {
    failure = std::current_exception();
  }
  writer.shutdown(pysock::shut::wr);  // ends the reader's loop whatever happened
  reading.join();
  if (failure) std::rethrow_exception(failure);
  return received;
}

}  // namespace

TEST(Streambuf, UnbufferedBlockingWriterDeliversEveryByte) {
  const std::string data = large_payload();
  EXPECT_TRUE(stream_to_slow_reader(std::nullopt, data) == data);
}

TEST(Streambuf, UnbufferedWriterWithTimeoutDeliversEveryByte) {
  // Each send takes only what the small buffer has room for (partial sends).
  const std::string data = large_payload();
  EXPECT_TRUE(stream_to_slow_reader(std::chrono::seconds(30), data) == data);
}

TEST(Streambuf, UnbufferedNonBlockingWriterReportsWhatItTook) {
  // Nobody reads until the stream failed: the buffers fill and a send would block.
  auto [writer, reader] = narrow_pair();
  writer.setblocking(false);
  const std::string data = large_payload();
  std::size_t taken = 0;
  {
    auto f = writer.makefile("wb", {.buffering = 0});
    pysock::io::streambuf buf(f);
    std::ostream out(&buf);
    out.exceptions(std::ios::badbit);
    EXPECT_THROW_WITH(out << data, pysock::blocking_io_error,
                      [&](const auto& e) { taken = e.characters_written(); });
    EXPECT_TRUE(out.bad());
  }
  EXPECT_GT(taken, 0u);
  EXPECT_LT(taken, data.size());
  writer.shutdown(pysock::shut::wr);
  EXPECT_TRUE(drain(reader) == data.substr(0, taken));
}

TEST(Streambuf, NonBlockingWriterFailsWithoutExceptionsAsBadbit) {
  auto [writer, reader] = narrow_pair();
  writer.setblocking(false);
  auto f = writer.makefile("wb", {.buffering = 0});
  pysock::io::streambuf buf(f);
  std::ostream out(&buf);
  out << large_payload();
  EXPECT_TRUE(out.bad());
}
