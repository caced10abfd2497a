// The decoder against the logits, soft-prompt loss and gradient Hugging Face transformers computed on the same
// checkpoints (../shared/fixtures/tiny-*/reference.safetensors), on one rank.
#include "core/llm/causal_lm.h"

#include <gtest/gtest.h>

#include "core/llm/checkpoint.h"
#include "core/llm/safetensors.h"
#include "core/util/error.h"
#include "parallel/cross_entropy.h"
#include "tests/core/llm/llm_test_support.h"
#include "tests/test_support.h"

namespace delrec::llm {
namespace {

class FixtureModel : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureModel, LogitsMatchHuggingFace) {
  const auto dir = test::fixtures_dir() / GetParam();
  SafetensorsFile ref(dir / "reference.safetensors");
  CausalLm model = load_causal_lm(dir, test::single_rank_tp());
  torch::NoGradGuard no_grad;
  EXPECT_LT(test::relative_error(model->forward(ref.read("input_ids")), ref.read("logits")), 1e-5);
}

TEST_P(FixtureModel, SoftPromptLogitsLossAndGradientMatchHuggingFace) {
  const auto dir = test::fixtures_dir() / GetParam();
  SafetensorsFile ref(dir / "reference.safetensors");
  CausalLm model = load_causal_lm(dir, test::single_rank_tp());
  const torch::Tensor ids = ref.read("input_ids");
  torch::Tensor soft = ref.read("soft_prompt").requires_grad_(true);
  torch::Tensor logits = model->forward(ids, soft);  // (B, n + T, V)
  EXPECT_LT(test::relative_error(logits, ref.read("soft_logits")), 1e-5);
  const int64_t n = soft.size(0), T = ids.size(1);
  torch::Tensor loss = torch::nn::functional::cross_entropy(logits.narrow(1, n, T - 1).reshape({-1, logits.size(2)}),
                                                            ids.narrow(1, 1, T - 1).reshape({-1}));
  EXPECT_LT(test::relative_error(loss.reshape({1}), ref.read("soft_loss")), 1e-5);
  loss.backward();
  EXPECT_LT(test::relative_error(soft.grad(), ref.read("soft_grad")), 1e-4);
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.grad().defined());  // the base stays frozen
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureModel, ::testing::Values("tiny-llama", "tiny-qwen2"));

TEST(CausalLm, Bfloat16WeightsStayCloseToFloat32) {
  const auto dir = test::fixtures_dir() / "tiny-qwen2";
  SafetensorsFile ref(dir / "reference.safetensors");
  CausalLm model = load_causal_lm(dir, test::single_rank_tp(), torch::kBFloat16);
  torch::NoGradGuard no_grad;
  torch::Tensor logits = model->forward(ref.read("input_ids"));
  EXPECT_EQ(logits.scalar_type(), torch::kBFloat16);
  EXPECT_LT(test::relative_error(logits, ref.read("logits")), 5e-2);  // bf16 keeps ~3 significant digits
}

TEST(CausalLm, MismatchedCheckpointIsAClearError) {
  ModelConfig config = load_model_config(test::fixtures_dir() / "tiny-qwen2/config.json");
  config.intermediate_size = 64;
  CausalLm model(config, test::single_rank_tp(), torch::kFloat32, torch::kCPU);
  try {
    model->load(test::fixtures_dir() / "tiny-qwen2");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("mlp.gate_proj.weight"), std::string::npos) << e.what();
  }
}

// copy_ broadcasts, so a [vocab, 1] lm_head or a [1] bias would load as a wrong model: both are refused by name.
TEST(CausalLm, BroadcastableWrongShapesAreRefused) {
  auto with_tensor = [](const std::string& fixture, const std::string& name, torch::Tensor replacement) {
    auto dir = std::make_unique<test::TempDir>();
    const auto src = test::fixtures_dir() / fixture;
    std::filesystem::copy_file(src / "config.json", *dir / "config.json");
    Checkpoint file(src);  // tiny-llama is sharded: written back as one model.safetensors
    std::vector<std::pair<std::string, torch::Tensor>> tensors;
    bool replaced = false;
    for (const auto& n : file.names()) {
      replaced |= n == name;
      tensors.emplace_back(n, n == name ? replacement : file.read(n));
    }
    EXPECT_TRUE(replaced) << name << " is not in " << fixture;
    save_safetensors(*dir / "model.safetensors", tensors);
    return dir;
  };
  const ModelConfig llama = load_model_config(test::fixtures_dir() / "tiny-llama/config.json");
  ASSERT_FALSE(llama.tie_word_embeddings);
  auto dir = with_tensor("tiny-llama", "lm_head.weight", torch::ones({llama.vocab_size, 1}));
  std::string msg = test::error_message([&] { load_causal_lm(dir->path(), test::single_rank_tp()); });
  EXPECT_NE(msg.find(fmt::format("'lm_head.weight' has shape [{}, 1], not [vocab_size, hidden_size] = [{}, {}]",
                                 llama.vocab_size, llama.vocab_size, llama.hidden_size)), std::string::npos) << msg;

  const ModelConfig qwen2 = load_model_config(test::fixtures_dir() / "tiny-qwen2/config.json");
  dir = with_tensor("tiny-qwen2", "model.layers.0.self_attn.q_proj.bias", torch::ones({1}));
  msg = test::error_message([&] { load_causal_lm(dir->path(), test::single_rank_tp()); });
  EXPECT_NE(msg.find(fmt::format("'model.layers.0.self_attn.q_proj.bias' has shape [1], the config implies [{}]",
                                 qwen2.num_heads * qwen2.head_dim)), std::string::npos) << msg;
}

}  // namespace
}  // namespace delrec::llm
