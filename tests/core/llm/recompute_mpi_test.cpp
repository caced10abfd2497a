// Activation recomputation changes what backward keeps, not what it computes: the loss and every gradient (soft
// prompt, LoRA with dropout active) equal those of a run that keeps its activations, to 1e-6 in float32, at TP 1,
// 2 and 4, through the plain forward and through a key/value cache (likelihood scoring's prompt + continuations).
#include <gtest/gtest.h>

#include "core/delrec/scoring.h"
#include "core/llm/causal_lm.h"
#include "core/llm/lora.h"
#include "core/llm/safetensors.h"
#include "parallel/cross_entropy.h"
#include "tests/core/llm/llm_test_support.h"
#include "tests/parallel/parallel_test_support.h"
#include "tests/test_support.h"

namespace delrec::llm {
namespace {

struct StepResult {
  double loss = 0;
  std::vector<torch::Tensor> grads;  // the soft prompt's, then each LoRA tensor's
};

using LossOf = std::function<torch::Tensor(CausalLm&, const torch::Tensor& soft)>;

// One forward + backward under `mode`, the dropout masks drawn from `seed`.
StepResult step(CausalLm& model, const torch::Tensor& soft0, Recompute mode, uint64_t seed, const LossOf& loss_of) {
  model->set_recompute(mode);
  torch::Tensor soft = soft0.clone().requires_grad_(true);
  torch::manual_seed(seed);
  torch::Tensor loss = loss_of(model, soft);
  loss.backward();
  StepResult r;
  r.loss = loss.item<double>();
  r.grads.push_back(soft.grad().clone());
  for (auto& p : lora_parameters(model)) {
    r.grads.push_back(p.grad().clone());
    p.mutable_grad() = torch::Tensor();
  }
  return r;
}

double max_relative_difference(const StepResult& a, const StepResult& b) {
  double worst = std::abs(a.loss - b.loss) / std::max(1.0, std::abs(b.loss));
  for (size_t i = 0; i < a.grads.size(); ++i) worst = std::max(worst, test::relative_error(a.grads[i], b.grads[i]));
  return worst;
}

CausalLm model_with_lora(const std::filesystem::path& dir, const std::shared_ptr<parallel::Communicator>& tp) {
  CausalLm model = load_causal_lm(dir, tp);
  LoraConfig config;
  config.r = 4;
  config.dropout = 0.2;  // so that a rerun drawing other masks would give other gradients
  config.target_modules = {"q_proj", "v_proj", "gate_proj", "down_proj"};
  torch::manual_seed(11);
  attach_lora(model, config);
  torch::NoGradGuard no_grad;
  torch::manual_seed(12);  // B != 0, so that A's gradients are not zero; the same values on every rank
  for (auto& p : lora_parameters(model))
    if (p.abs().max().item<double>() == 0) p.copy_(torch::randn_like(p) * 0.05);
  model->train();
  return model;
}

void expect_equal_under_recompute(const char* fixture, const char* path, const LossOf& loss_of) {
  const auto dir = test::fixtures_dir() / fixture;
  const torch::Tensor soft = SafetensorsFile(dir / "reference.safetensors").read("soft_prompt");
  std::vector<int> sizes = {1};
  for (int tp : test::tp_sizes()) sizes.push_back(tp);
  for (int tp : sizes) {
    auto groups = parallel::make_parallel_groups(test::test_world(), tp);
    CausalLm model = model_with_lora(dir, groups.tp);
    const StepResult kept = step(model, soft, Recompute::kNone, 5, loss_of);
    for (Recompute mode : {Recompute::kFull, Recompute::kSelective}) {
      const StepResult again = step(model, soft, mode, 5, loss_of);
      EXPECT_LT(max_relative_difference(again, kept), 1e-6)
          << fixture << " " << path << " tp " << tp << " recompute " << recompute_name(mode);
    }
    // The comparison can fail: other dropout masks move the gradients far more than 1e-6.
    EXPECT_GT(max_relative_difference(step(model, soft, Recompute::kNone, 6, loss_of), kept), 1e-3)
        << fixture << " " << path << " tp " << tp;
  }
}

TEST(RecomputeMpi, GradientsEqualWithoutRecomputation) {
  for (const char* fixture : {"tiny-llama", "tiny-qwen2"}) {
    const torch::Tensor ids =
        SafetensorsFile(test::fixtures_dir() / fixture / "reference.safetensors").read("input_ids");
    const int64_t T = ids.size(1);
    expect_equal_under_recompute(fixture, "forward", [&](CausalLm& model, const torch::Tensor& soft) {
      const int64_t n = soft.size(0);
      torch::Tensor logits = model->forward(ids, soft);  // (B, n + T, V/tp)
      return parallel::vocab_parallel_cross_entropy(logits.narrow(1, n, T - 1).contiguous(),
                                                    ids.narrow(1, 1, T - 1).contiguous(), model->tp())
          .mean();
    });
    // A prompt whose keys/values feed three continuations of different lengths (likelihood scoring).
    expect_equal_under_recompute(fixture, "kv cache", [&](CausalLm& model, const torch::Tensor& soft) {
      const torch::Tensor row = ids.select(0, 0);
      torch::Tensor prompt = scoring::prompt_embeddings(model, row.narrow(0, 0, 3), soft, row.narrow(0, 3, 4));
      std::vector<std::vector<int64_t>> candidates = {{5, 9, 2}, {7}, {3, 3}};
      return -scoring::likelihood_scores(model, prompt, candidates).sum();
    });
  }
}

}  // namespace
}  // namespace delrec::llm
