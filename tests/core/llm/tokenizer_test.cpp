// Both tokenizer kinds against the ids and texts Hugging Face tokenizers / sentencepiece produced for the same
// strings (../shared/fixtures/*/expected.json).
#include "core/llm/tokenizer.h"

#include <gtest/gtest.h>

#include <functional>
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

// The message loading a copy of the bpe-tokenizer fixture changed by `edit` gives (empty when it loads).
std::string load_error(const std::function<void(nlohmann::json&)>& edit) {
  auto j = nlohmann::json::parse(read_file(test::fixtures_dir() / "bpe-tokenizer/tokenizer.json"));
  edit(j);
  test::TempDir dir;
  write_file_atomically(dir / "tokenizer.json", j.dump());
  try {
    load_tokenizer(dir.path());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Ids from the file index tables and the embedding: each is checked before it is used, with the entry named.
TEST(BpeTokenizer, HostileIdsAndMergesAreRefusedByName) {
  ASSERT_EQ(load_error([](nlohmann::json&) {}), "");
  auto first_token = [](nlohmann::json& j) { return j["model"]["vocab"].begin().key(); };
  EXPECT_NE(load_error([&](nlohmann::json& j) { j["model"]["vocab"][first_token(j)] = -1; })
                .find("has id -1, outside [0, 16777216)"),
            std::string::npos);
  EXPECT_NE(load_error([&](nlohmann::json& j) { j["model"]["vocab"][first_token(j)] = 4000000000LL; })
                .find("has id 4000000000, outside"),
            std::string::npos);
  EXPECT_NE(load_error([&](nlohmann::json& j) { j["model"]["vocab"][first_token(j)] = "5"; })
                .find("which is not an integer"),
            std::string::npos);
  EXPECT_NE(load_error([&](nlohmann::json& j) { j["model"]["vocab"]["zz-sparse"] = 5000000; })
                .find("token id 5000000 is far beyond"),
            std::string::npos);
  EXPECT_NE(load_error([](nlohmann::json& j) { j["added_tokens"][0]["id"] = -7; }).find("added token"),
            std::string::npos);
  EXPECT_NE(load_error([](nlohmann::json& j) {
              auto& special = j["post_processor"]["special_tokens"];
              special.begin().value()["ids"] = {123456};
            }).find("template adds token id 123456"),
            std::string::npos);
  EXPECT_NE(load_error([](nlohmann::json& j) { j["model"]["merges"].push_back({"q", "not-a-token"}); })
                .find("which is not in the vocabulary"),
            std::string::npos);
}

TEST(Tokenizer, FolderWithoutTokenizerIsAnError) {
  test::TempDir dir;
  EXPECT_THROW(load_tokenizer(dir.path()), Error);
}

}  // namespace
}  // namespace delrec::llm
