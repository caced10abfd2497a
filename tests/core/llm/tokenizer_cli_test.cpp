// `delrec tokenizer encode|decode` end to end: line-oriented JSON through the built executable.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/util/atomic_file.h"
#include "tests/test_support.h"

namespace delrec {
namespace {

TEST(TokenizerCli, EncodeThenDecodeMatchesFixture) {
  const auto dir = test::fixtures_dir() / "bpe-tokenizer";
  const auto cases = nlohmann::json::parse(read_file(dir / "expected.json"));
  test::TempDir tmp;
  {
    std::ofstream in(tmp / "texts.jsonl");
    for (const auto& c : cases) in << c["text"].dump() << "\n";  // texts with newlines stay on one line
  }
  std::string out;
  ASSERT_EQ(test::run_command(test::delrec_binary().string() + " tokenizer encode " + dir.string() +
                                  " --add-special < " + (tmp / "texts.jsonl").string(), &out), 0) << out;
  std::istringstream lines(out);
  std::string line;
  std::ofstream ids(tmp / "ids.jsonl");
  for (const auto& c : cases) {
    ASSERT_TRUE(std::getline(lines, line));
    EXPECT_EQ(nlohmann::json::parse(line), c["ids_with_special"]) << c["text"];
    ids << c["ids"].dump() << "\n";
  }
  ids.close();
  ASSERT_EQ(test::run_command(test::delrec_binary().string() + " tokenizer decode " + dir.string() + " < " +
                                  (tmp / "ids.jsonl").string(), &out), 0) << out;
  std::istringstream decoded(out);
  for (const auto& c : cases) {
    ASSERT_TRUE(std::getline(decoded, line));
    EXPECT_EQ(nlohmann::json::parse(line), c["decoded"]) << c["text"];
  }
}

TEST(TokenizerCli, MalformedLineIsAUsageError) {
  std::string out;
  EXPECT_EQ(test::run_command("echo 'not json' | " + test::delrec_binary().string() + " tokenizer encode " +
                                  (test::fixtures_dir() / "bpe-tokenizer").string(), &out), 2) << out;
  EXPECT_NE(out.find("stdin line 1"), std::string::npos) << out;
}

}  // namespace
}  // namespace delrec
