#include "core/data/text_input.h"

#include <gtest/gtest.h>

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
