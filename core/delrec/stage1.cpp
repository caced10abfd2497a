// Stage 1: the soft prompt distils the teacher's sequential pattern; every backbone weight stays frozen.
#include <spdlog/spdlog.h>

#include "core/delrec/candidate_scorer.h"
#include "core/delrec/examples.h"
#include "core/delrec/losses.h"
#include "core/delrec/prompt_encoder.h"
#include "core/delrec/scored_task.h"
#include "core/delrec/soft_prompt.h"
#include "core/delrec/stages.h"
#include "core/train/trainer.h"
#include "core/util/random.h"

namespace fs = std::filesystem;

namespace delrec::stages {

StageOutcome run_stage1(const StageInputs& in, Backbone& backbone, const fs::path& dir) {
  const auto& r = in.recipe;
  const auto& s1 = r.stage1;
  const uint64_t seed = static_cast<uint64_t>(r.run.seed);
  fs::create_directories(dir);
  auto& model = backbone.model;

  torch::manual_seed(seed);  // the same initial soft prompt on every rank
  torch::Tensor soft = init_soft_prompt(model, *backbone.tokenizer, s1);
  const int64_t C = r.data.num_candidates;
  prompt::PromptEncoder encoder(r.prompt, r.teacher.model, s1.soft_tokens, *backbone.tokenizer, in.dataset, C);

  const auto ta = examples::temporal_examples(in.dataset, s1.train_prefixes, C, seed);
  const auto rps = examples::cached_examples(in.cache, in.dataset, examples::Answer::kTeacherTop1, seed);
  const auto valid = examples::split_examples(in.dataset, examples::Split::kValid, s1.train.eval_examples, seed);
  prompt::EncodedExamples ta_tokens(encoder, ta, prompt::Task::kTemporal);
  prompt::EncodedExamples rps_tokens(encoder, rps, prompt::Task::kRecommend);
  prompt::EncodedExamples valid_tokens(encoder, valid, prompt::Task::kRecommend);
  spdlog::info("stage 1: {} TA and {} RPS examples, {} soft tokens, RPS target {}, {} weights, {} batches",
               ta.size(), rps.size(), s1.soft_tokens, s1.rps_target, s1.weighting, s1.schedule);

  const bool distribution = s1.rps_target == "distribution";
  train::Task ta_task = scored_task("ta", model, soft, ta_tokens, encoder,
                                    [](const examples::Example& e, const torch::Tensor& scores) {
                                      return candidate_cross_entropy(scores, e.label);
                                    });
  train::Task rps_task = scored_task("rps", model, soft, rps_tokens, encoder,
                                     [&](const examples::Example& e, const torch::Tensor& scores) {
                                       return distribution ? teacher_kl(scores, e.teacher_scores, s1.temperature)
                                                           : candidate_cross_entropy(scores, e.label);
                                     });

  train::TrainerOptions options;
  options.optim = s1.train;
  options.dynamic_weights = s1.weighting == "dynamic";
  options.weights = {s1.ta_weight, s1.rps_weight};
  options.alternate = s1.schedule == "alternate";
  options.seed = mix_seed(seed, 1);
  options.label = "stage 1";
  options.metrics_jsonl = dir / "metrics.jsonl";
  options.checkpoint_dir = dir / "checkpoints";
  options.checkpoint = r.checkpoint;
  options.fingerprint = in.fingerprint + " stage1";
  train::Trainer trainer(options, {ta_task, rps_task}, {{"soft_prompt", soft}}, in.groups);
  trainer.run([&](int64_t) {
    return validation_metrics(rank_examples(model, soft, valid_tokens, encoder, in.groups));
  });

  if (in.groups.world->rank() == 0) save_soft_prompt(soft, dir / "soft_prompt.safetensors");
  in.groups.world->barrier();
  return {soft.detach(), trainer.history()};
}

}  // namespace delrec::stages
