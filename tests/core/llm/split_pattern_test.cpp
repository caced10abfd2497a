#include "core/llm/split_pattern.h"

#include <gtest/gtest.h>

namespace delrec::llm {
namespace {

const char* const kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

using Pieces = std::vector<std::string>;

// Expected pieces worked out from the regex by hand.
TEST(SplitPattern, FollowsTheLlama3Regex) {
  auto p = SplitPattern::from_regex(kLlama3);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->split("I'M here"), (Pieces{"I", "'M", " here"}));
  EXPECT_EQ(p->split("12345 x"), (Pieces{"123", "45", " x"}));
  EXPECT_EQ(p->split("  a  "), (Pieces{" ", " a", "  "}));
  EXPECT_EQ(p->split("a \n\n b"), (Pieces{"a", " \n\n", " b"}));
  EXPECT_EQ(p->split("(x) ..\n"), (Pieces{"(x", ")", " ..\n"}));
  EXPECT_EQ(p->split("Amélie 卧虎"), (Pieces{"Amélie", " 卧虎"}));
  EXPECT_EQ(p->split(""), Pieces{});
}

TEST(SplitPattern, Qwen2SplitsDigitsOneByOne) {
  std::string qwen2 = kLlama3;
  qwen2.replace(qwen2.find("\\p{N}{1,3}"), 10, "\\p{N}");
  auto p = SplitPattern::from_regex(qwen2);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->split("x123"), (Pieces{"x", "1", "2", "3"}));
}

TEST(SplitPattern, UnknownPatternIsNotAccepted) { EXPECT_FALSE(SplitPattern::from_regex("\\w+").has_value()); }

}  // namespace
}  // namespace delrec::llm
