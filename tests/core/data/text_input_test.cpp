#include "core/data/text_input.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>

#include "tests/test_support.h"

namespace delrec::data {
namespace {

std::vector<std::string> read_all(const std::filesystem::path& path) {
  LineReader in(path, "test file");
  std::vector<std::string> lines;
  std::string_view line;
  while (in.next(line)) lines.emplace_back(line);
  return lines;
}

TEST(LineReader, HandlesCrLfBomAndMissingFinalNewline) {
  test::TempDir dir;
  std::ofstream(dir / "a.txt") << "\xEF\xBB\xBF"
                                  "first\r\nsecond\n\nlast";
  EXPECT_EQ(read_all(dir / "a.txt"), (std::vector<std::string>{"first", "second", "", "last"}));
}

TEST(LineReader, ReadsGzipTransparently) {
  test::TempDir dir;
  std::ofstream(dir / "a.txt") << "one\ntwo\n";
  ASSERT_EQ(test::run_command("gzip -n " + (dir / "a.txt").string()), 0);
  EXPECT_EQ(read_all(dir / "a.txt.gz"), (std::vector<std::string>{"one", "two"}));
}

TEST(LineReader, LinesLongerThanTheBufferSurvive) {
  test::TempDir dir;
  const std::string long_line(3 << 20, 'x');
  std::ofstream(dir / "a.txt") << "a\n" << long_line << "\nb\n";
  auto lines = read_all(dir / "a.txt");
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[1], long_line);
  EXPECT_EQ(lines[2], "b");
}

// The last line (no final newline) is returned after the unread tail moved to the front of the buffer: a line read
// from its old place would come back overwritten ("defef") when the two overlap.
TEST(LineReader, LastLineWithoutNewlineAfterAShortLine) {
  test::TempDir dir;
  std::ofstream(dir / "a.txt") << "a\nbcdef";
  EXPECT_EQ(read_all(dir / "a.txt"), (std::vector<std::string>{"a", "bcdef"}));
}

// A gzip file cut after its last complete line (here: without the 8-byte CRC and length trailer) decompresses to
// whole lines; zlib says so only through gzerror. Reading it must fail, not yield a shorter dataset.
TEST(LineReader, TruncatedGzipIsAnError) {
  test::TempDir dir;
  std::string text;
  for (int i = 0; i < 2000; ++i) text += std::to_string(i) + "\t" + std::to_string(i * 7) + "\n";
  std::ofstream(dir / "a.txt") << text;
  ASSERT_EQ(test::run_command("gzip -n " + (dir / "a.txt").string()), 0);
  const auto gz = dir / "a.txt.gz";
  const auto full_size = std::filesystem::file_size(gz);
  ASSERT_EQ(read_all(gz).size(), 2000u);
  for (uintmax_t cut : {uintmax_t{8}, uintmax_t{4}, full_size / 2}) {
    std::filesystem::copy_file(gz, dir / "cut.gz", std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(dir / "cut.gz", full_size - cut);
    std::string msg = test::error_message([&] { read_all(dir / "cut.gz"); });
    EXPECT_NE(msg.find("cut.gz: read error after line"), std::string::npos) << msg;
    EXPECT_NE(msg.find("truncated or damaged"), std::string::npos) << msg;
  }
}

// A small gzip file that expands to one endless line stops at the line limit with an error naming the line.
TEST(LineReader, OneLineGzipBombStopsAtTheLineLimit) {
  test::TempDir dir;
  const auto bomb = dir / "bomb.gz";
  ASSERT_EQ(test::run_command(fmt::format("printf 'ok\\n' > {0}.txt && head -c {1} /dev/zero >> {0}.txt && "
                                          "gzip -1 -c {0}.txt > {0} && rm {0}.txt",
                                          bomb.string(), LineReader::kMaxLineBytes + (2 << 20))),
            0);
  ASSERT_LT(std::filesystem::file_size(bomb), 1u << 20);
  LineReader in(bomb, "test file");
  std::string_view line;
  ASSERT_TRUE(in.next(line));
  EXPECT_EQ(line, "ok");
  std::string msg = test::error_message([&] { in.next(line); });
  EXPECT_EQ(msg, bomb.string() + ":2: line longer than 64 MiB; this is not a line-oriented text file (or a "
                                 "compressed file that expands without end); check data.source");
}

TEST(LineReader, FailQuotesFileLineAndText) {
  test::TempDir dir;
  std::ofstream(dir / "a.txt") << "ok\nbad line\n";
  LineReader in(dir / "a.txt", "hint");
  std::string_view line;
  in.next(line);
  in.next(line);
  std::string msg = test::error_message([&] { in.fail("something is off"); });
  EXPECT_EQ(msg, (dir / "a.txt").string() + ":2: something is off; the line reads: 'bad line'");
}

TEST(LineReader, MissingFileNamesPathAndHint) {
  std::string msg = test::error_message([] { LineReader in("/nonexistent/u.data", "download it from X"); });
  EXPECT_EQ(msg, "cannot read /nonexistent/u.data: no such file; download it from X");
}

TEST(SplitCsv, QuotesAndEscapedQuotes) {
  std::vector<std::string> f;
  ASSERT_TRUE(split_csv(R"(1,"a, b","say ""hi""",)", f));
  EXPECT_EQ(f, (std::vector<std::string>{"1", "a, b", "say \"hi\"", ""}));
  EXPECT_FALSE(split_csv(R"(1,"open)", f));
}

TEST(Split, MultiCharacterSeparator) {
  std::vector<std::string_view> f;
  split("1::Star Wars: A::Action", "::", f);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[1], "Star Wars: A");
}

TEST(ParseNumbers, WholeFieldOnly) {
  int64_t i;
  double d;
  EXPECT_TRUE(parse_int("978300760", i));
  EXPECT_EQ(i, 978300760);
  EXPECT_FALSE(parse_int("12a", i));
  EXPECT_FALSE(parse_int("", i));
  EXPECT_TRUE(parse_double("3.5", d));
  EXPECT_EQ(d, 3.5);
  EXPECT_FALSE(parse_double("3.5 ", d));
}

TEST(Latin1ToUtf8, MapsHighBytesToTwoByteSequences) {
  EXPECT_EQ(latin1_to_utf8("Caf\xE9"), "Caf\xC3\xA9");
  EXPECT_EQ(latin1_to_utf8("\xFF\x80"), "\xC3\xBF\xC2\x80");
  EXPECT_EQ(latin1_to_utf8("plain"), "plain");
}

}  // namespace
}  // namespace delrec::data
