// JSON from other people's files: nesting past the limit is refused by name before nlohmann builds (and would later
// copy or print, recursively) the value; excerpts in messages are cut.
#include "core/util/json_input.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/llm/model_config.h"
#include "core/llm/safetensors.h"
#include "tests/test_support.h"

namespace delrec {
namespace {

std::string nested(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(JsonInput, NestingIsCountedOutsideStrings) {
  EXPECT_EQ(json_nesting_depth(R"({"a": [1, {"b": []}]})"), 4);
  EXPECT_EQ(json_nesting_depth(R"({"a": "[[[[{{{{", "b": "\"[["})"), 1);
  EXPECT_EQ(json_nesting_depth("[]"), 1);
  EXPECT_EQ(parse_json(nested(kMaxJsonDepth), "x").dump().size(), 2u * kMaxJsonDepth);
}

// A million levels: refused with the file's name, no stack overflow.
TEST(JsonInput, DeepNestingIsRefusedByName) {
  std::string msg = test::error_message([] { parse_json(nested(1000000), "model/config.json"); });
  EXPECT_EQ(msg, "model/config.json: JSON nested deeper than 128 levels; this is not a file delrec reads (damaged or "
                 "crafted?)");
  msg = test::error_message([] { llm::parse_model_config("{\"model_type\": " + nested(100000) + "}", "c.json"); });
  EXPECT_NE(msg.find("c.json: JSON nested deeper than 128 levels"), std::string::npos) << msg;
  msg = test::error_message([] { parse_json("{\"a\": ", "t.json"); });
  EXPECT_NE(msg.find("t.json: not valid JSON"), std::string::npos) << msg;
}

// A safetensors header nested a million levels deep inside __metadata__ is refused, not parsed and walked.
TEST(JsonInput, DeepSafetensorsHeaderIsRefused) {
  test::TempDir dir;
  const std::string header = "{\"__metadata__\": " + nested(200000) + "}";
  const uint64_t n = header.size();
  {
    std::ofstream out(dir / "deep.safetensors", std::ios::binary);
    for (int i = 0; i < 8; ++i) out.put(char((n >> (8 * i)) & 0xFF));
    out << header;
  }
  std::string msg = test::error_message([&] { llm::SafetensorsFile file(dir / "deep.safetensors"); });
  EXPECT_NE(msg.find("deep.safetensors header: JSON nested deeper than 128 levels"), std::string::npos) << msg;
}

TEST(JsonInput, ExcerptsAreCut) {
  const nlohmann::json big = std::string(1000, 'x');
  EXPECT_EQ(json_excerpt(big, 10), "\"xxxxxxxxx...");
  EXPECT_EQ(json_excerpt(nlohmann::json{1, 2}), "[1,2]");
}

// Found by tests/fuzz/model_config_fuzz.cpp: a number out of double's range made nlohmann::json throw out_of_range,
// which escaped as a non-delrec exception.
TEST(JsonInput, NumbersOutOfRangeAreAnError) {
  std::string msg = test::error_message([] { parse_json("{\"rope_theta\": 1e400}", "config.json"); });
  EXPECT_NE(msg.find("config.json: not valid JSON"), std::string::npos) << msg;
  msg = test::error_message([] { llm::parse_model_config("{\"vocab_size\": -1e999}", "c.json"); });
  EXPECT_NE(msg.find("c.json: not valid JSON"), std::string::npos) << msg;
}

}  // namespace
}  // namespace delrec
