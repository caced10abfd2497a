// Both tokenizer kinds against the ids and texts Hugging Face tokenizers / sentencepiece produced for the same
// strings (../shared/fixtures/*/expected.json).
#include "core/llm/tokenizer.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/llm/sentencepiece_tokenizer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::llm {
namespace {

nlohmann::json expected(const std::string& fixture) {
  return nlohmann::json::parse(read_file(test::fixtures_dir() / fixture / "expected.json"));
}

TEST(BpeTokenizer, MatchesHuggingFaceOnEveryFixtureString) {
  auto tok = load_tokenizer(test::fixtures_dir() / "bpe-tokenizer");
  for (const auto& c : expected("bpe-tokenizer")) {
    const std::string text = c["text"];
    EXPECT_EQ(tok->encode(text, false), c["ids"].get<std::vector<int64_t>>()) << text;
    EXPECT_EQ(tok->encode(text, true), c["ids_with_special"].get<std::vector<int64_t>>()) << text;
    EXPECT_EQ(tok->decode(c["ids"].get<std::vector<int64_t>>()), c["decoded"].get<std::string>()) << text;
  }
  EXPECT_EQ(tok->bos_id(), 0);
  EXPECT_THROW(tok->decode({tok->vocab_size()}), Error);
}

TEST(SentencePieceTokenizer, MatchesSentencePieceOnEveryFixtureString) {
  try {
    SentencePieceTokenizer::find_module();
  } catch (const Error& e) {
    GTEST_SKIP() << e.what();
  }
  auto tok = load_tokenizer(test::fixtures_dir() / "sp-tokenizer");
  for (const auto& c : expected("sp-tokenizer")) {
    const std::string text = c["text"];
    const auto ids = c["ids"].get<std::vector<int64_t>>();
    EXPECT_EQ(tok->encode(text, false), ids) << text;
    EXPECT_EQ(tok->decode(ids), c["decoded"].get<std::string>()) << text;
  }
  EXPECT_EQ(tok->bos_id(), 1);
  EXPECT_EQ(tok->eos_id(), 2);
  EXPECT_EQ(tok->encode("a", true).front(), 1);
}

TEST(Tokenizer, FolderWithoutTokenizerIsAnError) {
  test::TempDir dir;
  EXPECT_THROW(load_tokenizer(dir.path()), Error);
}

}  // namespace
}  // namespace delrec::llm
