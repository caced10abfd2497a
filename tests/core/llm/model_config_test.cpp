#include "core/llm/model_config.h"

#include <gtest/gtest.h>

#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::llm {
namespace {

TEST(ModelConfig, TinyLlamaFixture) {
  ModelConfig c = load_model_config(test::fixtures_dir() / "tiny-llama/config.json");
  EXPECT_EQ(c.model_type, "llama");
  EXPECT_EQ(c.vocab_size, 384);
  EXPECT_EQ(c.num_heads, 8);
  EXPECT_EQ(c.num_kv_heads, 4);
  EXPECT_EQ(c.head_dim, 8);
  EXPECT_EQ(c.intermediate_size, 176);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e4);
  EXPECT_FALSE(c.tie_word_embeddings);
  EXPECT_FALSE(c.attention_bias);
}

TEST(ModelConfig, TinyQwen2FixtureHasBiasesAndTiedEmbeddings) {
  ModelConfig c = load_model_config(test::fixtures_dir() / "tiny-qwen2/config.json");
  EXPECT_EQ(c.model_type, "qwen2");
  EXPECT_TRUE(c.attention_bias);
  EXPECT_FALSE(c.o_bias);
  EXPECT_TRUE(c.tie_word_embeddings);
  EXPECT_DOUBLE_EQ(c.rope_theta, 1e6);
  EXPECT_EQ(c.head_dim, 16);
  EXPECT_EQ(c.sliding_window, 0);
}

TEST(ModelConfig, LegacyRopeScalingLlama3) {
  // Llama-3.2-1B's published config (abridged): top-level rope_theta and a legacy rope_scaling block.
  ModelConfig c = parse_model_config(R"({"model_type":"llama","vocab_size":128256,"hidden_size":2048,
    "intermediate_size":8192,"num_hidden_layers":16,"num_attention_heads":32,"num_key_value_heads":8,
    "max_position_embeddings":131072,"rope_theta":500000.0,"tie_word_embeddings":true,
    "rope_scaling":{"factor":32.0,"high_freq_factor":4.0,"low_freq_factor":1.0,
    "original_max_position_embeddings":8192,"rope_type":"llama3"}})", "llama-3.2-1b");
  EXPECT_EQ(c.rope_scaling.type, "llama3");
  EXPECT_DOUBLE_EQ(c.rope_scaling.factor, 32.0);
  EXPECT_EQ(c.rope_scaling.original_max_position, 8192);
  EXPECT_DOUBLE_EQ(c.rope_theta, 5e5);
  EXPECT_EQ(c.head_dim, 64);
  EXPECT_EQ(c.num_parameters(), 1235814400);  // Llama-3.2-1B's published parameter count
}

TEST(ModelConfig, RopeParametersBlockWinsOverLegacyKeys) {
  ModelConfig c = parse_model_config(R"({"model_type":"mistral","vocab_size":10,"hidden_size":8,
    "intermediate_size":16,"num_hidden_layers":1,"num_attention_heads":2,"rope_theta":10000.0,"sliding_window":4096,
    "rope_parameters":{"rope_type":"linear","factor":2.0,"rope_theta":20000.0}})", "cfg");
  EXPECT_EQ(c.rope_scaling.type, "linear");
  EXPECT_DOUBLE_EQ(c.rope_theta, 20000.0);
  EXPECT_EQ(c.num_kv_heads, 2);
  EXPECT_EQ(c.sliding_window, 4096);
}

TEST(ModelConfig, ErrorsNameTheKey) {
  try {
    parse_model_config(R"({"model_type":"llama","vocab_size":10,"hidden_size":8,"num_hidden_layers":1,
      "num_attention_heads":2})", "cfg.json");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cfg.json: missing \"intermediate_size\""), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_model_config(R"({"model_type":"gpt2"})", "cfg"), Error);
  EXPECT_THROW(parse_model_config(R"({"model_type":"llama","vocab_size":10,"hidden_size":8,"intermediate_size":4,
    "num_hidden_layers":1,"num_attention_heads":2,"rope_scaling":{"type":"yarn","factor":2}})", "cfg"), Error);
}

// Values that would make NaN logits or divide by zero are refused by key.
TEST(ModelConfig, DegenerateNumbersAreRefused) {
  const std::string base = R"({"model_type":"llama","vocab_size":10,"hidden_size":8,"intermediate_size":16,
    "num_hidden_layers":1,"num_attention_heads":2)";
  for (const char* eps : {"0", "-1e-6"}) {
    std::string msg = test::error_message([&] {
      parse_model_config(base + ",\"rms_norm_eps\":" + eps + "}", "cfg.json");
    });
    EXPECT_NE(msg.find("cfg.json: \"rms_norm_eps\" must be positive, got " + std::string(eps == std::string("0") ?
                       "0" : "-1e-06")), std::string::npos) << msg;
  }
  // hidden 8 over 4 heads: head_dim 2, whose dynamic NTK exponent head_dim / (head_dim - 2) divides by zero.
  std::string msg = test::error_message([&] {
    parse_model_config(R"({"model_type":"llama","vocab_size":10,"hidden_size":8,"intermediate_size":16,
      "num_hidden_layers":1,"num_attention_heads":4,"rope_scaling":{"rope_type":"dynamic","factor":2.0}})", "cfg.json");
  });
  EXPECT_NE(msg.find("cfg.json: head_dim 2 cannot use \"dynamic\" rope scaling"), std::string::npos) << msg;
  // head_dim 2 without dynamic scaling is a valid (if tiny) model.
  EXPECT_EQ(parse_model_config(base.substr(0, base.rfind("2")) + "4}", "cfg").head_dim, 2);
}

// The TP sizes that split a model: every head count, the MLP width and the vocabulary divisible by TP, key/value
// heads divisible by it or replicated (TP a multiple of them). The failures are named one by one.
TEST(ModelConfig, TpSplitErrorNamesEveryFactorThatFails) {
  // tiny-llama: 8 heads, 4 key/value heads, MLP 176, vocabulary 384.
  const ModelConfig c = load_model_config(test::fixtures_dir() / "tiny-llama/config.json");
  for (int64_t tp : {1, 2, 4, 8}) EXPECT_EQ(c.tp_split_error(tp), "") << tp;  // 8 = 2 x the 4 kv heads
  const std::string three = c.tp_split_error(3);
  EXPECT_NE(three.find("tp(3) must divide num_attention_heads(8)"), std::string::npos) << three;
  EXPECT_NE(three.find("num_key_value_heads(4) or be a multiple of it"), std::string::npos) << three;
  EXPECT_NE(three.find("intermediate_size(176)"), std::string::npos) << three;
  EXPECT_EQ(three.find("vocab_size"), std::string::npos) << three;  // 384 = 3 x 128 splits
  ModelConfig odd = c;
  odd.num_heads = 12;
  odd.num_kv_heads = 6;
  odd.intermediate_size = 180;
  // 12 heads, 6 kv heads, MLP 180 and vocabulary 384 all split over 6; a vocabulary of 385 alone does not.
  EXPECT_EQ(odd.tp_split_error(6), "");
  odd.vocab_size = 385;
  EXPECT_EQ(odd.tp_split_error(6), "tp(6) must divide vocab_size(385)");
}

}  // namespace
}  // namespace delrec::llm
