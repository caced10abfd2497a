#include "core/llm/lora.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/llm/safetensors.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/core/llm/llm_test_support.h"
#include "tests/test_support.h"

namespace delrec::llm {
namespace {

TEST(Lora, FixtureAdapterMatchesPeftLogits) {
  const auto dir = test::fixtures_dir() / "tiny-llama";
  SafetensorsFile ref(dir / "reference.safetensors");
  CausalLm model = load_causal_lm(dir, test::single_rank_tp());
  LoraConfig config = load_lora(model, dir / "lora_adapter");
  EXPECT_DOUBLE_EQ(config.scale(), 2.0);
  torch::NoGradGuard no_grad;
  EXPECT_LT(test::relative_error(model->forward(ref.read("input_ids")), ref.read("lora_logits")), 1e-5);
}

TEST(Lora, SaveThenLoadGivesIdenticalLogitsAndPeftLayout) {
  const auto dir = test::fixtures_dir() / "tiny-llama";
  test::TempDir tmp;
  const torch::Tensor ids = SafetensorsFile(dir / "reference.safetensors").read("input_ids");
  CausalLm a = load_causal_lm(dir, test::single_rank_tp());
  LoraConfig config = load_lora(a, dir / "lora_adapter");
  save_lora(a, config, tmp / "adapter", true);
  CausalLm b = load_causal_lm(dir, test::single_rank_tp());
  load_lora(b, tmp / "adapter");
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(torch::equal(a->forward(ids), b->forward(ids)));

  // Same tensor names, shapes and values as the adapter PEFT wrote; the config keys PEFT reads.
  SafetensorsFile peft(dir / "lora_adapter/adapter_model.safetensors");
  SafetensorsFile ours(tmp / "adapter/adapter_model.safetensors");
  ASSERT_EQ(ours.names(), peft.names());
  for (const auto& name : peft.names()) EXPECT_TRUE(torch::equal(ours.read(name), peft.read(name))) << name;
  const auto saved = nlohmann::json::parse(read_file(tmp / "adapter/adapter_config.json"));
  const auto original = nlohmann::json::parse(read_file(dir / "lora_adapter/adapter_config.json"));
  for (const char* key : {"peft_type", "r", "lora_alpha", "bias", "use_rslora", "use_dora", "fan_in_fan_out"})
    EXPECT_EQ(saved[key], original[key]) << key;
  EXPECT_EQ(saved["target_modules"].size(), original["target_modules"].size());
}

// A failure between the adapter's two files (a kill, a full disk) leaves no adapter, or the previous one intact:
// never weights without a config, nor an old config paired with new weights.
TEST(Lora, AdapterIsPublishedWholeOrNotAtAll) {
  const auto dir = test::fixtures_dir() / "tiny-llama";
  test::TempDir tmp;
  CausalLm model = load_causal_lm(dir, test::single_rank_tp());
  LoraConfig config = load_lora(model, dir / "lora_adapter");
  ::setenv("DELREC_FAIL_AT", "adapter_write", 1);
  EXPECT_NE(test::error_message([&] { save_lora(model, config, tmp / "adapter", true); }).find("adapter_write"),
            std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(tmp / "adapter"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tmp.path()), {}), 0);  // no temporary left

  ::unsetenv("DELREC_FAIL_AT");
  save_lora(model, config, tmp / "adapter", true);
  const std::string weights = read_file(tmp / "adapter/adapter_model.safetensors");
  const std::string json = read_file(tmp / "adapter/adapter_config.json");
  LoraConfig other = config;
  other.alpha = 2 * config.alpha;
  ::setenv("DELREC_FAIL_AT", "adapter_write", 1);
  EXPECT_THROW(save_lora(model, other, tmp / "adapter", true), Error);
  ::unsetenv("DELREC_FAIL_AT");
  EXPECT_EQ(read_file(tmp / "adapter/adapter_model.safetensors"), weights);
  EXPECT_EQ(read_file(tmp / "adapter/adapter_config.json"), json);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(tmp.path()), {}), 1);

  save_lora(model, other, tmp / "adapter", true);  // an existing adapter is replaced
  EXPECT_EQ(nlohmann::json::parse(read_file(tmp / "adapter/adapter_config.json"))["lora_alpha"], other.alpha);
}

TEST(Lora, FreshAdapterStartsAtZeroAndTrains) {
  const auto dir = test::fixtures_dir() / "tiny-qwen2";
  const torch::Tensor ids = SafetensorsFile(dir / "reference.safetensors").read("input_ids");
  CausalLm model = load_causal_lm(dir, test::single_rank_tp());
  torch::Tensor before;
  {
    torch::NoGradGuard no_grad;
    before = model->forward(ids);
  }
  LoraConfig config;
  config.target_modules = {"q_proj", "v_proj", "down_proj"};
  attach_lora(model, config);
  auto params = lora_parameters(model);
  EXPECT_EQ(params.size(), 2u * 3 * 2);  // A and B, 3 projections, 2 layers
  torch::Tensor logits = model->forward(ids);
  EXPECT_TRUE(torch::equal(logits, before));
  logits.logsumexp(-1).mean().backward();
  for (const auto& p : params) EXPECT_TRUE(p.grad().defined());
}

TEST(Lora, UnsupportedOptionsAreRefused) {
  test::TempDir tmp;
  write_file_atomically(tmp / "adapter_config.json", R"({"peft_type":"LORA","r":4,"use_dora":true,"target_modules":["q_proj"]})");
  EXPECT_THROW(load_lora_config(tmp / "adapter_config.json"), Error);
  write_file_atomically(tmp / "adapter_config.json", R"({"peft_type":"LORA","r":4,"target_modules":["lm_head"]})");
  EXPECT_THROW(load_lora_config(tmp / "adapter_config.json"), Error);
}

}  // namespace
}  // namespace delrec::llm
