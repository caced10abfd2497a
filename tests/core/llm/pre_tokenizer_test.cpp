// The pre-tokenizer steps on hand-checked splits (GPT-2's pattern as Python's `regex` module applies it), and the
// refusal of steps delrec does not implement. The equality with Hugging Face tokenizers on thousands of strings is
// tests/reference/tokenizer_equality.py (ctest tokenizer_equality_*).
#include "core/llm/pre_tokenizer.h"

#include <gtest/gtest.h>

#include "tests/test_support.h"

namespace delrec::llm {
namespace {

using Pieces = std::vector<std::string>;

PreTokenizer parse(const std::string& spec) { return PreTokenizer::from_json(nlohmann::json::parse(spec), "t.json"); }

TEST(PreTokenizer, ByteLevelWithRegexSplitsLikeGpt2) {
  const PreTokenizer p = parse(R"({"type": "ByteLevel", "add_prefix_space": false, "use_regex": true})");
  EXPECT_TRUE(p.byte_level());
  EXPECT_EQ(p.split("Hello world"), (Pieces{"Hello", " world"}));
  EXPECT_EQ(p.split("I'm  here\n"), (Pieces{"I", "'m", " ", " here", "\n"}));
  EXPECT_EQ(p.split("We'LL 1995!!"), (Pieces{"We", "'", "LL", " 1995", "!!"}));  // contractions are lower case only
  EXPECT_EQ(p.split("x\t\ty"), (Pieces{"x", "\t", "\t", "y"}));  // only a space joins the next word
}

TEST(PreTokenizer, AddPrefixSpaceGoesBeforeEveryPieceWithoutOne) {
  const PreTokenizer p = parse(R"({"type": "ByteLevel", "add_prefix_space": true, "use_regex": true})");
  EXPECT_EQ(p.split("Hello world"), (Pieces{" Hello", " world"}));
  EXPECT_EQ(p.split(" Hello"), (Pieces{" Hello"}));
}

TEST(PreTokenizer, DigitsThenByteLevelAsSmolLM2) {
  const PreTokenizer p = parse(R"({"type": "Sequence", "pretokenizers": [
      {"type": "Digits", "individual_digits": true},
      {"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}]})");
  EXPECT_EQ(p.split("Toy Story (1995)"), (Pieces{"Toy", " Story", " (", "1", "9", "9", "5", ")"}));
  const PreTokenizer runs = parse(R"({"type": "Digits", "individual_digits": false})");
  EXPECT_EQ(runs.split("ab123c٣٤"), (Pieces{"ab", "123", "c", "٣٤"}));  // Arabic-Indic digits are numbers too
}

TEST(PreTokenizer, MetaspaceReplacesSpacesPrependsAndSplits) {
  const PreTokenizer first = parse(R"({"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first",
                                       "split": true})");
  EXPECT_EQ(first.split("Hello  big world"), (Pieces{"▁Hello", "▁", "▁big", "▁world"}));
  EXPECT_EQ(first.split("after a special", /*at_start=*/false), (Pieces{"after", "▁a", "▁special"}));
  const PreTokenizer whole = parse(R"({"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always",
                                       "split": false})");
  EXPECT_EQ(whole.split("a b", /*at_start=*/false), (Pieces{"▁a▁b"}));
  EXPECT_EQ(whole.split("▁x"), (Pieces{"▁x"}));  // already there: not prepended twice
}

TEST(PreTokenizer, UnsupportedStepsAreRefusedByName) {
  const std::string bert = test::error_message([] { parse(R"({"type": "BertPreTokenizer"})"); });
  EXPECT_NE(bert.find("t.json: pre-tokenizer \"BertPreTokenizer\" is not supported"), std::string::npos) << bert;
  const std::string regex = test::error_message(
      [] { parse(R"({"type": "Split", "pattern": {"Regex": "\\d+"}, "behavior": "Isolated", "invert": false})"); });
  EXPECT_NE(regex.find("is not one delrec implements"), std::string::npos) << regex;
  const std::string removed = test::error_message(
      [] { parse(R"({"type": "Split", "pattern": {"String": " "}, "behavior": "Removed", "invert": false})"); });
  EXPECT_NE(removed.find("behavior Isolated"), std::string::npos) << removed;
  const std::string scheme = test::error_message(
      [] { parse(R"({"type": "Metaspace", "replacement": "▁", "prepend_scheme": "sometimes"})"); });
  EXPECT_NE(scheme.find("prepend_scheme \"sometimes\" is not always, first or never"), std::string::npos) << scheme;
}

}  // namespace
}  // namespace delrec::llm
