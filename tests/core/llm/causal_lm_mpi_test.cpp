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
  DELREC_REQUIRE_SHARED("fixtures/tiny-qwen2");
  for (const char* fixture : {"tiny-llama", "tiny-qwen2"}) {
    const auto dir = test::shared_dir() / "fixtures" / fixture;
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
  DELREC_REQUIRE_SHARED("fixtures/tiny-llama/lora_adapter");
  const auto dir = test::shared_dir() / "fixtures/tiny-llama";
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

}  // namespace
}  // namespace delrec::llm
