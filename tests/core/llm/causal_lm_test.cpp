// The decoder against the logits, soft-prompt loss and gradient Hugging Face transformers computed on the same
// checkpoints (../shared/fixtures/tiny-*/reference.safetensors), on one rank.
#include "core/llm/causal_lm.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace delrec::llm
