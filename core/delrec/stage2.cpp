// Stage 2: LoRA adapters on the backbone learn to rank the candidates; the soft prompt (if any) stays frozen.
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "core/delrec/cache_examples.h"
#include "core/delrec/candidate_scorer.h"
#include "core/delrec/examples.h"
#include "core/delrec/losses.h"
#include "core/delrec/prompt_encoder.h"
#include "core/delrec/scored_task.h"
#include "core/delrec/run_layout.h"
#include "core/delrec/stages.h"
#include "core/llm/lora.h"
#include "core/train/trainer.h"
#include "core/util/error.h"
#include "core/util/random.h"
#include "core/util/sha256.h"

namespace fs = std::filesystem;

namespace delrec::stages {

llm::LoraConfig lora_config(const config::Stage2Config& s2) {
  static const std::vector<std::string> kKnown = {"q_proj", "k_proj", "v_proj", "o_proj",
                                                  "gate_proj", "up_proj", "down_proj"};
  DELREC_CHECK(!s2.lora_targets.empty(), "stage2.lora_targets is empty; name at least one projection (e.g. [q_proj, "
               "v_proj])");
  for (const auto& t : s2.lora_targets)
    DELREC_CHECK(std::find(kKnown.begin(), kKnown.end(), t) != kKnown.end(),
                 "stage2.lora_targets: '{}' is not one of q_proj k_proj v_proj o_proj gate_proj up_proj down_proj", t);
  llm::LoraConfig c;
  c.r = s2.lora_r;
  c.alpha = s2.lora_alpha;
  c.dropout = s2.lora_dropout;
  c.target_modules = s2.lora_targets;
  return c;
}

// SHA-256 of a tensor's float32 bytes.
std::string tensor_digest(const torch::Tensor& t) {
  torch::Tensor c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
  Sha256 hash;
  hash.update(std::string(static_cast<const char*>(c.data_ptr()), static_cast<size_t>(c.numel()) * sizeof(float)));
  return hash.hex_digest();
}

StageOutcome run_stage2(const StageInputs& in, Backbone& backbone, const torch::Tensor& soft_prompt, const fs::path& dir) {
  const auto& r = in.recipe;
  const auto& s2 = r.stage2;
  const uint64_t seed = static_cast<uint64_t>(r.run.seed);
  const bool with_soft = soft_prompt.defined();
  const std::string label = with_soft ? "stage 2" : "stage 2 (no soft prompt)";
  fs::create_directories(dir);
  auto& model = backbone.model;
  DELREC_CHECK(llm::lora_parameters(model).empty(), "internal: {} needs a backbone without adapters", label);

  torch::manual_seed(seed);  // the same initial adapters on every rank
  const auto config = lora_config(s2);
  llm::attach_lora(model, config);
  // Adapter dropout masks: the same on the ranks of one TP group (they see the same tokens), different across DP.
  torch::manual_seed(mix_seed(seed, 2, static_cast<uint64_t>(in.groups.dp->rank())));
  model->train();
  const torch::Tensor soft = with_soft ? soft_prompt.detach() : torch::Tensor();  // frozen: no gradient

  const int64_t n = with_soft ? soft.size(0) : 0;
  prompt::PromptEncoder encoder(r.prompt, r.teacher.model, n, *backbone.tokenizer, in.dataset, r.data.num_candidates);
  // Each example is read from the teacher cache when this rank first trains on it.
  examples::CacheExamples source(in.cache, in.dataset, examples::CacheExamples::Kind::kTrueItem, seed);
  auto& train = source.examples();
  const auto valid = examples::split_examples(in.dataset, examples::Split::kValid, s2.train.eval_examples, seed);
  prompt::EncodedExamples train_tokens(encoder, train, prompt::Task::kRecommend,
                                       [&source](examples::Example& e) { source.fill(e); });
  prompt::EncodedExamples valid_tokens(encoder, valid, prompt::Task::kRecommend);
  spdlog::info("{}: {} training examples, LoRA r={} alpha={} on {}", label, train.size(), config.r, config.alpha,
               fmt::join(config.target_modules, ","));

  train::Task task = scored_task("rec", model, soft, train_tokens, encoder,
                                 [](const examples::Example& e, const torch::Tensor& scores) {
                                   return candidate_cross_entropy(scores, e.label);
                                 });
  train::TrainerOptions options;
  options.optim = s2.train;
  options.seed = mix_seed(seed, with_soft ? 3 : 4);
  options.label = label;
  options.metrics_jsonl = dir / "metrics.jsonl";
  options.checkpoint_dir = dir / "checkpoints";
  if (r.logging.tensorboard) options.tensorboard_dir = RunLayout(dir.parent_path()).tensorboard(dir.filename());
  options.tensorboard_flush_seconds = r.logging.flush_seconds;
  options.checkpoint = r.checkpoint;
  // The soft prompt is part of what the adapter is trained for: a checkpoint made with another one is refused.
  options.fingerprint = in.fingerprint + " stage2 soft prompt " + (with_soft ? tensor_digest(soft) : "none");
  train::Trainer trainer(options, {task}, llm::lora_trainables(model), in.groups);
  trainer.run([&](int64_t) {
    return validation_metrics(rank_examples(model, soft, valid_tokens, encoder, in.groups));
  });
  // Gathered over the TP group (every rank takes part); one rank writes.
  llm::save_lora(model, config, dir / "adapter", in.groups.world->rank() == 0);
  in.groups.world->barrier();
  return {soft, trainer.history()};
}

}  // namespace delrec::stages
