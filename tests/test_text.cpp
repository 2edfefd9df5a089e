// incremental_newline_decoder (8.6) and text_io_wrapper (8.5) vectors from test_io (9.13).
#include <gtest/gtest.h>

#include <istream>

#include "pysock/io/buffered.hpp"
#include "pysock/io/file.hpp"
#include "pysock/io/streambuf.hpp"
#include "pysock/io/text.hpp"
#include "support/mock_raw.hpp"

using pysock::io::incremental_newline_decoder;
using pysock::io::make_incremental_decoder;
using pysock::io::text_io_wrapper;
using pysock_test::mock_raw;
using opt = std::optional<std::string>;
using lines_t = std::vector<std::string>;

namespace {

std::unique_ptr<pysock::io::buffered_reader> reader_of(std::string data, std::size_t size = 8192) {
  return std::make_unique<pysock::io::buffered_reader>(
      std::make_shared<mock_raw>(std::vector<opt>{std::move(data)}), size);
}

std::string decode_bytewise(incremental_newline_decoder& d, std::string_view input) {
  std::string out;
  for (char c : input)
    out += d.decode(std::string_view(&c, 1));
  return out;
}

}  // namespace

TEST(IncrementalNewlineDecoder, Vectors) {
  incremental_newline_decoder d(make_incremental_decoder("utf-8"), true);
  EXPECT_EQ(d.decode("\r"), "");
  EXPECT_EQ(d.decode("", true), "\n");
  EXPECT_EQ(d.decode("\r", true), "\n");
  EXPECT_EQ(d.decode("\r"), "");
  EXPECT_EQ(d.decode("a"), "\na");
  EXPECT_EQ(d.decode("\r\r\n"), "\n\n");
  EXPECT_EQ(d.decode("\r"), "");
  EXPECT_EQ(d.decode("\r"), "\n");
  EXPECT_EQ(d.decode("\na"), "\na");
  EXPECT_EQ(d.decode("\xe8"), "");
  EXPECT_EQ(d.decode("\xa2"), "");
  EXPECT_EQ(d.decode("\x88"), "\xe8\xa2\x88");
  EXPECT_EQ(d.decode("\xe8"), "");
  EXPECT_THROW(d.decode("", true), pysock::unicode_decode_error);
  incremental_newline_decoder keep(make_incremental_decoder("utf-8"), false);
  EXPECT_EQ(keep.decode("\r\r\n", true), "\r\r\n");
}

TEST(IncrementalNewlineDecoder, NewlinesBookkeeping) {
  incremental_newline_decoder d(nullptr, true);
  EXPECT_TRUE(d.newlines().empty());
  std::string out = decode_bytewise(d, "abc\n\r");
  EXPECT_EQ(d.newlines(), lines_t{"\n"});
  out += decode_bytewise(d, "\nabc");
  EXPECT_EQ(d.newlines(), (lines_t{"\n", "\r\n"}));
  out += decode_bytewise(d, "abc\r");
  EXPECT_EQ(d.newlines(), (lines_t{"\n", "\r\n"}));  // a held-back '\r' is not counted yet
  out += decode_bytewise(d, "abc");
  EXPECT_EQ(d.newlines(), (lines_t{"\r", "\n", "\r\n"}));
  out += decode_bytewise(d, "abc\r");
  out += d.decode("", true);
  EXPECT_EQ(out, "abc\n\nabcabc\nabcabc\n");
  d.reset();
  EXPECT_EQ(d.decode("abc"), "abc");
  EXPECT_TRUE(d.newlines().empty());
  // U+0D00 and U+0A00 are not CR/LF.
  EXPECT_EQ(d.decode("\xe0\xb4\x80\xe0\xa8\x80"), "\xe0\xb4\x80\xe0\xa8\x80");
  EXPECT_TRUE(d.newlines().empty());
}

TEST(IncrementalNewlineDecoder, StateRoundTrip) {
  incremental_newline_decoder d(make_incremental_decoder("utf-8"), true);
  EXPECT_EQ(d.decode("a\r"), "a");
  auto state = d.getstate();
  EXPECT_EQ(state.flags & 1, 1u);
  incremental_newline_decoder e(make_incremental_decoder("utf-8"), true);
  e.setstate(state);
  EXPECT_EQ(e.decode("b"), "\nb");
}

TEST(TextIOWrapper, ReadingByNewlineMode) {
  const std::string input = "unix\nwindows\r\nos9\rlast\nnonl";
  struct vector_case {
    std::optional<std::string> newline;
    lines_t expected;
  };
  for (const auto& [newline, expected] :
       std::vector<vector_case>{{std::nullopt, {"unix\n", "windows\n", "os9\n", "last\n", "nonl"}},
                                {"", {"unix\n", "windows\r\n", "os9\r", "last\n", "nonl"}},
                                {"\n", {"unix\n", "windows\r\n", "os9\rlast\n", "nonl"}},
                                {"\r\n", {"unix\nwindows\r\n", "os9\rlast\nnonl"}},
                                {"\r", {"unix\nwindows\r", "\nos9\r", "last\nnonl"}}}) {
    for (std::size_t size = 1; size < 10; ++size) {
      text_io_wrapper t(reader_of(input, size), "utf-8", {}, newline);
      t.set_chunk_size(size);
      EXPECT_EQ(t.readlines(), expected) << size;
    }
  }
}

// C reads only when its decoded text is empty, not when it is all used: readline(0) after a read
// that used everything returns "" without reading; on a fresh file it reads one chunk first.
TEST(TextIOWrapper, ReadlineZeroReadsOnlyWhenNothingWasDecoded) {
  auto raw = std::make_shared<mock_raw>(std::vector<opt>{"abc", "def\n"});
  text_io_wrapper t(std::make_unique<pysock::io::buffered_reader>(raw), "utf-8");
  EXPECT_EQ(t.read(3), opt("abc"));
  EXPECT_EQ(raw->read_sizes.size(), 1u);
  EXPECT_EQ(t.readline(0), "");
  EXPECT_EQ(raw->read_sizes.size(), 1u);
  EXPECT_EQ(t.readline(), "def\n");
  EXPECT_EQ(raw->read_sizes.size(), 2u);

  auto fresh_raw = std::make_shared<mock_raw>(std::vector<opt>{"abc"});
  text_io_wrapper fresh(std::make_unique<pysock::io::buffered_reader>(fresh_raw), "utf-8");
  EXPECT_EQ(fresh.readline(0), "");
  EXPECT_EQ(fresh_raw->read_sizes.size(), 1u);
}

// C keeps its used-up decoded text when a decode fails, unless readline had already let go of it
// before reading: so readline(0) reads only after a failed readline.
TEST(TextIOWrapper, ReadlineZeroAfterAFailedDecodeReadsOnlyIfReadlineFailed) {
  for (bool readline_failed : {false, true}) {
    auto raw = std::make_shared<mock_raw>(std::vector<opt>{"abc", "\xff\n", "def\n"});
    text_io_wrapper t(std::make_unique<pysock::io::buffered_reader>(raw), "utf-8");
    EXPECT_EQ(t.read(3), opt("abc"));
    if (readline_failed)
      EXPECT_THROW(t.readline(), pysock::unicode_decode_error);
    else
      EXPECT_THROW(t.read(1), pysock::unicode_decode_error);
    EXPECT_EQ(raw->read_sizes.size(), 2u);
    EXPECT_EQ(t.readline(0), "");
    EXPECT_EQ(raw->read_sizes.size(), readline_failed ? 3u : 2u) << readline_failed;
    EXPECT_EQ(t.readline(), "def\n");
    EXPECT_EQ(raw->read_sizes.size(), 3u);
  }
}

TEST(TextIOWrapper, NewlineCrVectorWithNul) {
  text_io_wrapper t(reader_of(std::string("AAA\nBB\0B\nCCC\rDDD\rEEE\r\nFFF\r\nGGG", 30)), "utf-8",
                    {}, "\r");
  EXPECT_EQ(t.readlines(), (lines_t{"AAA\nBB" + std::string(1, '\0') + "B\nCCC\r", "DDD\r", "EEE\r",
                                    "\nFFF\r", "\nGGG"}));
}

TEST(TextIOWrapper, ReadlineLimitCountsCodePointsAndCutsCrlf) {
  text_io_wrapper t(reader_of("ab\r\ncd"), "utf-8", {}, "");
  EXPECT_EQ(t.readline(3), "ab\r");
  EXPECT_EQ(t.readline(), "\n");
  text_io_wrapper u(reader_of("\xc3\xa9\xc3\xa9\xc3\xa9\n"));
  EXPECT_EQ(u.readline(2), "\xc3\xa9\xc3\xa9");
  EXPECT_EQ(u.read(1), "\xc3\xa9");
  EXPECT_EQ(u.readline(0), "");
}

TEST(TextIOWrapper, ReadOneByOneAndByChunk) {
  text_io_wrapper t(reader_of("AA\r\nBB"));
  std::string out;
  while (auto c = t.read(1)) {
    if (c->empty()) break;
    out += *c;
  }
  EXPECT_EQ(out, "AA\nBB");
  text_io_wrapper u(reader_of(std::string(127, 'A') + "\r\nB"));
  std::string first = *u.read(128);
  EXPECT_EQ(first + *u.read(128), std::string(127, 'A') + "\nB");
  text_io_wrapper v(reader_of("AAA\r\nBBB\rCCC\r\nDDD\nEEE\r\n"));
  v.set_chunk_size(4);
  EXPECT_EQ(*v.read(4), "AAA\n");
  EXPECT_EQ(v.readline(), "BBB\n");
  EXPECT_EQ(*v.read(), "CCC\nDDD\nEEE\n");
}

TEST(TextIOWrapper, WritingByNewlineMode) {
  struct vector_case {
    std::optional<std::string> newline;
    std::string expected;
  };
  for (const auto& [newline, expected] :
       std::vector<vector_case>{{"", "AAA\nBBB\nCCC\nX\rY\r\nZ"},
                                {"\n", "AAA\nBBB\nCCC\nX\rY\r\nZ"},
                                {std::nullopt, "AAA\nBBB\nCCC\nX\rY\r\nZ"},
                                {"\r", "AAA\rBBB\rCCC\rX\rY\r\rZ"},
                                {"\r\n", "AAA\r\nBBB\r\nCCC\r\nX\rY\r\r\nZ"}}) {
    auto raw = std::make_shared<mock_raw>();
    text_io_wrapper t(std::make_unique<pysock::io::buffered_writer>(raw), "utf-8", {}, newline);
    EXPECT_EQ(t.write("AAA\nB"), 5u);
    t.write("BB\nCCC\n");
    t.write("X\rY\r\nZ");
    t.flush();
    EXPECT_EQ(raw->written, expected);
    EXPECT_FALSE(raw->closed());
  }
}

// `closed` comes from the raw object under pysock's own layers (C's fast check), and from the
// buffer itself when it is somebody else's io_base.
TEST(TextIOWrapper, ClosedFollowsTheRawObjectOrAForeignBuffer) {
  auto raw = std::make_shared<mock_raw>();
  text_io_wrapper over_buffered(std::make_unique<pysock::io::buffered_reader>(raw), "utf-8");
  EXPECT_FALSE(over_buffered.closed());
  raw->close();
  EXPECT_TRUE(over_buffered.closed());

  struct foreign_buffer final : pysock::io::io_base {
    bool is_closed = false;
    void close() override { is_closed = true; }
    bool closed() const override { return is_closed; }
    bool readable() const override { return true; }
    std::string_view class_name() const override { return "ForeignIO"; }
  };
  auto foreign = std::make_unique<foreign_buffer>();
  auto* buffer = foreign.get();
  text_io_wrapper over_foreign(std::move(foreign), "utf-8");
  EXPECT_FALSE(over_foreign.closed());
  buffer->is_closed = true;
  EXPECT_TRUE(over_foreign.closed());
  EXPECT_THROW(over_foreign.readline(), pysock::value_error);
}

TEST(TextIOWrapper, LineBufferingAndWriteThrough) {
  auto raw = std::make_shared<mock_raw>();
  text_io_wrapper t(std::make_unique<pysock::io::buffered_writer>(raw, 1000), "utf-8", {}, {},
                    true);
  t.write("X");
  EXPECT_EQ(raw->written, "");
  t.write("Y\nZ");
  EXPECT_EQ(raw->written, "XY\nZ");
  t.write("A\rB");
  EXPECT_EQ(raw->written, "XY\nZA\rB");
  auto raw2 = std::make_shared<mock_raw>();
  text_io_wrapper through(std::make_unique<pysock::io::buffered_writer>(raw2), "utf-8", {}, {},
                          false, true);
  through.write("1");
  EXPECT_EQ(raw2->written, "");  // write-through reaches the buffer, which does not flush
}

TEST(TextIOWrapper, EncodingErrorsAndArguments) {
  text_io_wrapper ignore(reader_of("abc\n\xff\n"), "utf-8", "ignore");
  EXPECT_EQ(*ignore.read(), "abc\n\n");
  text_io_wrapper replace(reader_of("abc\n\xff\n"), "utf-8", "replace");
  EXPECT_EQ(*replace.read(), "abc\n\xef\xbf\xbd\n");
  auto raw = std::make_shared<mock_raw>();
  text_io_wrapper latin(std::make_unique<pysock::io::buffered_writer>(raw), "ascii", "replace");
  latin.write(
      "abc\xc3\xbf"
      "def\n");
  latin.flush();
  EXPECT_EQ(raw->written, "abc?def\n");
  EXPECT_THROW(text_io_wrapper(reader_of(""), "utf-8", {}, "x"), pysock::value_error);
  EXPECT_THROW(text_io_wrapper(reader_of(""), "nonexistent"), pysock::lookup_error);
}

TEST(TextIOWrapper, WriteKeepsDecodedTextOnAStream) {  // gh-80109
  auto raw = std::make_shared<mock_raw>(std::vector<opt>{"foo\nbar\n"});
  text_io_wrapper t(std::make_unique<pysock::io::buffered_rw_pair>(raw, raw));
  EXPECT_EQ(t.readline(), "foo\n");
  t.write("xxx");
  t.flush();
  EXPECT_EQ(t.readline(), "bar\n");
}

TEST(TextIOWrapper, UnreadableUnseekableAndNoBinaryMethods) {
  auto raw = std::make_shared<mock_raw>();
  text_io_wrapper t(std::make_unique<pysock::io::buffered_writer>(raw));
  EXPECT_THROW(t.read(), pysock::unsupported_operation);
  EXPECT_THROW(t.read1(), pysock::io::attribute_error);
  EXPECT_THROW(t.mode(), pysock::io::attribute_error);
  EXPECT_FALSE(t.seekable());
  t.close();
  EXPECT_THROW(t.write("x"), pysock::value_error);
}

TEST(TextIOWrapper, OverARawObject) {  // test_rawio, issue #12591
  auto raw = std::make_unique<mock_raw>(std::vector<opt>{"abcdefghi\njkl\nopq\n"});
  text_io_wrapper t(std::move(raw), "utf-8", {}, "\n");
  EXPECT_EQ(*t.read(4), "abcd");
  EXPECT_EQ(t.readline(), "efghi\n");
  EXPECT_EQ(t.readlines(), (lines_t{"jkl\n", "opq\n"}));
}

// Chunks that decoding leaves unchanged (valid UTF-8 without '\r') are used in place, as views of
// the buffered reader's bytes. The tests below each cover one way that must not go wrong.

// A '\r' in a chunk after an all-ASCII one still goes through the newline decoder.
TEST(TextIOWrapper, ChunkWithCrAfterAnAsciiChunk) {
  struct mode_case {
    std::optional<std::string> newline;
    lines_t expected;
  };
  for (const auto& [newline, expected] :
       std::vector<mode_case>{{std::nullopt, {"abc\n", "def\n", "ghi\n", "jkl"}},
                              {"", {"abc\n", "def\r\n", "ghi\r\n", "jkl"}}}) {
    auto raw = std::make_shared<mock_raw>(std::vector<opt>{"abc\n", "def\r\nghi\r", "\njkl"});
    text_io_wrapper t(std::make_unique<pysock::io::buffered_reader>(raw), "utf-8", {}, newline);
    EXPECT_EQ(t.readlines(), expected);
    EXPECT_EQ(t.newlines(), (lines_t{"\n", "\r\n"}));
  }
}

// What the decoders hold back between chunks decides too: a '\r' that may start "\r\n", and
// bytes that may start a character.
TEST(TextIOWrapper, HeldBackCrOrBytesBeforeAnAsciiChunk) {
  auto raw = std::make_shared<mock_raw>(std::vector<opt>{"ab\r", "cd\n"});
  text_io_wrapper cr(std::make_unique<pysock::io::buffered_reader>(raw), "utf-8", {}, "");
  EXPECT_EQ(cr.readlines(), (lines_t{"ab\r", "cd\n"}));
  raw = std::make_shared<mock_raw>(std::vector<opt>{"ab\xc3", "cd\n"});
  text_io_wrapper bytes(std::make_unique<pysock::io::buffered_reader>(raw), "utf-8", "replace");
  EXPECT_EQ(bytes.readline(),
            "ab\xef\xbf\xbd"
            "cd\n");
  raw = std::make_shared<mock_raw>(std::vector<opt>{"ab\xc3", "cd\n"});
  text_io_wrapper fixed(std::make_unique<pysock::io::buffered_reader>(raw), "utf-8", "replace",
                        "\n");
  EXPECT_EQ(fixed.readline(),
            "ab\xef\xbf\xbd"
            "cd\n");
}

// Reading f.buffer() refills the buffer over the bytes the text was using: the text wrapper
// keeps a copy of what it had not returned yet.
TEST(TextIOWrapper, ViewInvalidatedByAReadOnTheBuffer) {
  for (std::optional<std::string> newline : {std::optional<std::string>{}, {"\n"}}) {
    auto raw = std::make_shared<mock_raw>(
        std::vector<opt>{"line1\nline2\n", "XXXXXXXXXXXXXXXXXXXX", "line3\n"});
    text_io_wrapper t(std::make_unique<pysock::io::buffered_reader>(raw), "utf-8", {}, newline);
    EXPECT_EQ(t.readline(), "line1\n");
    EXPECT_EQ(t.buffer().read(20), opt(std::string(20, 'X')));
    EXPECT_EQ(t.readline(), "line2\n");
    EXPECT_EQ(t.readline(), "line3\n");
  }
}

// A decode error in a chunk after one used in place: the view path still validates, and C's
// rule (a failed decode keeps the used-up text) holds.
TEST(TextIOWrapper, DecodeErrorAfterAViewChunk) {
  auto raw = std::make_shared<mock_raw>(std::vector<opt>{"abc\n", "de\xff\n", "fgh\n"});
  text_io_wrapper t(std::make_unique<pysock::io::buffered_reader>(raw), "utf-8");
  EXPECT_EQ(t.readline(), "abc\n");
  EXPECT_THROW(t.read(1), pysock::unicode_decode_error);
  EXPECT_EQ(t.readline(0), "");
  EXPECT_EQ(raw->read_sizes.size(), 2u);
  EXPECT_EQ(t.readline(), "fgh\n");
}

TEST(TextIOWrapper, ReadlineLimitOverAView) {
  auto raw = std::make_shared<mock_raw>(std::vector<opt>{"\xc3\xa9t\xc3\xa9\nabcdef\n", "gh\n"});
  text_io_wrapper t(std::make_unique<pysock::io::buffered_reader>(raw), "utf-8");
  EXPECT_EQ(t.readline(2), "\xc3\xa9t");
  EXPECT_EQ(t.readline(), "\xc3\xa9\n");
  EXPECT_EQ(t.readline(3), "abc");
  EXPECT_EQ(t.read(2), opt("de"));
  EXPECT_EQ(t.readline(5), "f\n");
  EXPECT_EQ(t.readline(5), "gh\n");
}

// A streambuf reading the text borrows the same bytes: a read on the buffer takes its window
// back (with what it consumed) before the text wrapper copies the rest.
TEST(TextIOWrapper, StreambufOverTextKeepsItsPlaceWhenTheBufferIsRead) {
  auto raw = std::make_shared<mock_raw>(
      std::vector<opt>{"line1\nline2\nline3\n", "XXXXXXXXXXXXXXXXXXXX", "line4\n"});
  pysock::io::file f(std::make_unique<text_io_wrapper>(
      std::make_unique<pysock::io::buffered_reader>(raw), "utf-8"));
  auto& t = static_cast<text_io_wrapper&>(f.stream());
  pysock::io::streambuf buf(f);
  std::istream in(&buf);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "line1");
  EXPECT_EQ(t.buffer().read(20), opt(std::string(20, 'X')));
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "line2");
  EXPECT_EQ(f.readline(), "line3\n");
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "line4");
}

// gh-80109 over a chunk used in place: a write resets the decoder but keeps the decoded text.
TEST(TextIOWrapper, WriteAfterAPartialReadOfAView) {
  auto raw = std::make_shared<mock_raw>(std::vector<opt>{"foo\nbar", "\nbaz\n"});
  text_io_wrapper t(std::make_unique<pysock::io::buffered_rw_pair>(raw, raw));
  EXPECT_EQ(t.readline(), "foo\n");
  EXPECT_EQ(t.read(1), opt("b"));
  t.write("xxx");
  t.flush();
  EXPECT_EQ(raw->written, "xxx");
  EXPECT_EQ(t.readline(), "ar\n");
  EXPECT_EQ(t.readline(), "baz\n");
}
