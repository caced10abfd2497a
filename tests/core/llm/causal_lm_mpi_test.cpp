// The decoder split over 2 and 4 ranks against the Hugging Face reference; LoRA adapters loaded as slices and
// gathered back on save give the adapter PEFT wrote, value for value.
#include <gtest/gtest.h>

#include "core/llm/causal_lm.h"
#include "core/llm/lora.h"
#include "core/llm/safetensors.h"
#include "parallel/cross_entropy.h"
#include "parallel/mappings.h"
#include "tests/core/llm/llm_test_support.h"
#include "tests/parallel/parallel_test_support.h"
#include "tests/test_support.h"

namespace delrec::llm {
namespace {

TEST(CausalLmMpi, ShardedModelMatchesHuggingFaceAtEveryTp) {
  for (const char* fixture : {"tiny-llama", "tiny-qwen2"}) {
    const auto dir = test::fixtures_dir() / fixture;
    SafetensorsFile ref(dir / "reference.safetensors");
    const torch::Tensor ids = ref.read("input_ids");
    for (int tp : test::tp_sizes()) {
      auto groups = parallel::make_parallel_groups(test::test_world(), tp);
      CausalLm model = load_causal_lm(dir, groups.tp);
      torch::Tensor soft = ref.read("soft_prompt").requires_grad_(true);
      torch::Tensor local = model->forward(ids, soft);  // (B, n + T, V/tp)
      EXPECT_LT(test::relative_error(parallel::gather_from_tp_region(local, groups.tp), ref.read("soft_logits")), 1e-5)
          << fixture << " tp " << tp;
      const int64_t n = soft.size(0), T = ids.size(1);
      torch::Tensor loss = parallel::vocab_parallel_cross_entropy(local.narrow(1, n, T - 1).contiguous(),
                                                                  ids.narrow(1, 1, T - 1).contiguous(), groups.tp)
                               .mean();
      loss.backward();
      EXPECT_LT(test::relative_error(soft.grad(), ref.read("soft_grad")), 1e-4) << fixture << " tp " << tp;
    }
  }
}

TEST(CausalLmMpi, LoraSlicesGatherBackToThePeftAdapter) {
  const auto dir = test::fixtures_dir() / "tiny-llama";
  SafetensorsFile peft(dir / "lora_adapter/adapter_model.safetensors");
  for (int tp : test::tp_sizes()) {
    auto groups = parallel::make_parallel_groups(test::test_world(), tp);
    CausalLm model = load_causal_lm(dir, groups.tp);
    LoraConfig config = load_lora(model, dir / "lora_adapter");
    test::TempDir tmp;
    const bool writer = groups.tp->rank() == 0;
    save_lora(model, config, tmp / "adapter", writer);
    if (!writer) continue;
    SafetensorsFile ours(tmp / "adapter/adapter_model.safetensors");
    ASSERT_EQ(ours.names(), peft.names());
    for (const auto& name : peft.names())
      EXPECT_TRUE(torch::equal(ours.read(name), peft.read(name))) << name << " tp " << tp;
  }
}

// One SGD step on LoRA adapters of every projection, split over TP ranks, gives the same adapter as on one rank;
// tiny-qwen2 at TP 4 replicates its 2 key/value heads, so k/v adapter gradients must be summed over replicas.
TEST(CausalLmMpi, LoraTrainingStepMatchesSingleRank) {
  const auto dir = test::fixtures_dir() / "tiny-qwen2";
  const torch::Tensor ids = SafetensorsFile(dir / "reference.safetensors").read("input_ids");
  const int64_t T = ids.size(1);
  LoraConfig config;
  config.r = 4;
  config.target_modules = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"};
  auto sgd_step_and_save = [&](CausalLm& model, const std::shared_ptr<parallel::Communicator>& tp,
                               const std::filesystem::path& out) {
    torch::Tensor logits = model->forward(ids.narrow(1, 0, T - 1));
    parallel::vocab_parallel_cross_entropy(logits, ids.narrow(1, 1, T - 1).contiguous(), tp).mean().backward();
    torch::NoGradGuard no_grad;
    for (auto& p : lora_parameters(model)) p.sub_(0.5 * p.grad());
    save_lora(model, config, out, tp->rank() == 0);
  };

  test::TempDir tmp;
  auto single = parallel::make_parallel_groups(test::test_world(), 1);
  CausalLm reference = load_causal_lm(dir, single.tp);
  torch::manual_seed(1);
  attach_lora(reference, config);
  {
    torch::NoGradGuard no_grad;  // a non-zero B, so that every adapter tensor gets a gradient
    for (auto& p : lora_parameters(reference)) p.normal_(0.0, 0.1);
  }
  save_lora(reference, config, tmp / "start", true);
  sgd_step_and_save(reference, single.tp, tmp / "single");
  SafetensorsFile expected(tmp / "single/adapter_model.safetensors");

  for (int tp : test::tp_sizes()) {
    auto groups = parallel::make_parallel_groups(test::test_world(), tp);
    CausalLm model = load_causal_lm(dir, groups.tp);
    load_lora(model, tmp / "start");
    const auto out = tmp / ("tp" + std::to_string(tp));
    sgd_step_and_save(model, groups.tp, out);
    if (groups.tp->rank() != 0) continue;
    SafetensorsFile got(out / "adapter_model.safetensors");
    for (const auto& name : expected.names())
      EXPECT_TRUE(test::tensors_near(got.read(name), expected.read(name), 1e-5)) << name << " tp " << tp;
  }
}

}  // namespace
}  // namespace delrec::llm
