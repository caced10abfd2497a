// Stage 1: the soft prompt distils the teacher's sequential pattern; every backbone weight stays frozen.
#include <spdlog/spdlog.h>

#include "core/delrec/cache_examples.h"
#include "core/delrec/candidate_scorer.h"
#include "core/delrec/examples.h"
#include "core/delrec/losses.h"
#include "core/delrec/prompt_encoder.h"
#include "core/delrec/scored_task.h"
#include "core/delrec/soft_prompt.h"
#include "core/delrec/run_layout.h"
#include "core/delrec/stages.h"
#include "core/train/trainer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/random.h"

namespace fs = std::filesystem;

namespace delrec::stages {
namespace {

// <dir>/rps_targets.json: how often the RPS answer (the teacher's top-1) is the true next item. Near 1 means RPS
// mostly repeats stage 2's task; the teacher's own pattern shows where it is lower. Every rank counts the examples
// of its slice of the cache and the counts are summed: each example counted once, none read twice.
void write_rps_agreement(const examples::CacheExamples& rps, const StageInputs& in, const fs::path& dir) {
  auto& world = *in.groups.world;
  const auto [mine, mine_agreeing] = rps.agreement_of_slice(world.rank(), world.size());
  torch::Tensor counts = torch::tensor({static_cast<double>(mine), static_cast<double>(mine_agreeing)}, torch::kFloat64);
  world.all_reduce(counts, parallel::ReduceOp::kSum);
  const auto count = static_cast<int64_t>(counts[0].item<double>()), agreeing = static_cast<int64_t>(counts[1].item<double>());
  const double rate = count > 0 ? static_cast<double>(agreeing) / static_cast<double>(count) : 0.0;
  spdlog::info("stage 1: the RPS target is the true next item in {} of {} examples ({:.1f}%)", agreeing, count,
               100 * rate);
  if (world.rank() == 0)
    write_file_atomically(dir / "rps_targets.json",
                          nlohmann::json{{"candidates", in.recipe.stage1.rps.candidates},
                                         {"top_k", in.recipe.stage1.rps.top_k},
                                         {"examples", count},
                                         {"target_is_true_item", agreeing},
                                         {"rate", rate}}
                                  .dump(2) + "\n");
}

}  // namespace

StageOutcome run_stage1(const StageInputs& in, Backbone& backbone, const fs::path& dir, Stage1Tasks tasks) {
  const auto& r = in.recipe;
  const auto& s1 = r.stage1;
  const uint64_t seed = static_cast<uint64_t>(r.run.seed);
  fs::create_directories(dir);
  auto& model = backbone.model;

  torch::manual_seed(seed);  // the same initial soft prompt on every rank
  torch::Tensor soft = init_soft_prompt(model, *backbone.tokenizer, s1);
  const int64_t C = r.data.num_candidates;
  prompt::PromptEncoder encoder(r.prompt, r.teacher.model, s1.soft_tokens, *backbone.tokenizer, in.dataset, C);

  const bool with_ta = tasks != Stage1Tasks::kRpsOnly, with_rps = tasks != Stage1Tasks::kTemporalOnly;
  std::vector<examples::Example> ta, no_rps;
  std::unique_ptr<examples::CacheExamples> rps_source;  // read from the teacher cache as examples are used
  if (with_ta) ta = examples::temporal_examples(in.dataset, s1.ta.train_prefixes, C, s1.ta.demonstration_items, seed);
  if (with_rps) {
    using Kind = examples::CacheExamples::Kind;
    // The prompt lists ranks 2..top_k only when asked to.
    rps_source = std::make_unique<examples::CacheExamples>(
        in.cache, in.dataset, s1.rps.candidates == "teacher_topk" ? Kind::kTeacherTopk : Kind::kTeacherTop1, seed,
        s1.rps.top_k, s1.rps.show_ranks ? s1.rps.top_k - 1 : 0);
    write_rps_agreement(*rps_source, in, dir);
  }
  std::vector<examples::Example>& rps = rps_source ? rps_source->examples() : no_rps;
  DELREC_CHECK(!with_ta || !ta.empty(),
               "stage 1 has no TA examples: no user has {} training items before a known next one (with "
               "stage1.ta.demonstration_items = {}); lower it or prepare longer sequences",
               std::max<int64_t>(2, s1.ta.demonstration_items + 1), s1.ta.demonstration_items);
  DELREC_CHECK(!with_rps || !rps.empty(), "stage 1 has no RPS examples: the teacher cache holds no training prefixes "
               "(teacher.cache_train_prefixes); rebuild it with some");
  const auto valid = examples::split_examples(in.dataset, examples::Split::kValid, s1.train.eval_examples, seed);
  prompt::EncodedExamples ta_tokens(encoder, ta, prompt::Task::kTemporal);
  prompt::EncodedExamples rps_tokens =
      rps_source ? prompt::EncodedExamples(encoder, rps, prompt::Task::kRps,
                                           [&](examples::Example& e) { rps_source->fill(e); })
                 : prompt::EncodedExamples(encoder, rps, prompt::Task::kRps);
  prompt::EncodedExamples valid_tokens(encoder, valid, prompt::Task::kRecommend);
  spdlog::info("stage 1: {} TA and {} RPS examples ({} candidates, {} target), {} soft tokens, {} weights, {} batches",
               ta.size(), rps.size(), s1.rps.candidates, s1.rps.target, s1.soft_tokens, s1.weighting, s1.schedule);

  const bool distribution = s1.rps.target == "distribution";
  std::vector<train::Task> trained;
  std::vector<double> weights;
  if (with_ta) {
    trained.push_back(scored_task("ta", model, soft, ta_tokens, encoder,
                                  [](const examples::Example& e, const torch::Tensor& scores) {
                                    return candidate_cross_entropy(scores, e.label);
                                  }));
    weights.push_back(s1.ta_weight);
  }
  if (with_rps) {
    trained.push_back(scored_task("rps", model, soft, rps_tokens, encoder,
                                  [&](const examples::Example& e, const torch::Tensor& scores) {
                                    return distribution ? teacher_kl(scores, e.teacher_scores, s1.rps.temperature)
                                                        : candidate_cross_entropy(scores, e.label);
                                  }));
    weights.push_back(s1.rps_weight);
  }

  train::TrainerOptions options;
  options.optim = s1.train;
  options.dynamic_weights = s1.weighting == "dynamic";
  options.weights = trained.size() == 1 ? std::vector<double>{1.0} : weights;
  options.alternate = s1.schedule == "alternate" && trained.size() > 1;
  options.seed = mix_seed(seed, 1);
  options.label = tasks == Stage1Tasks::kBoth ? "stage 1" : tasks == Stage1Tasks::kRpsOnly ? "stage 1 (no TA)"
                                                                                          : "stage 1 (no RPS)";
  options.metrics_jsonl = dir / "metrics.jsonl";
  options.checkpoint_dir = dir / "checkpoints";
  if (r.logging.tensorboard) options.tensorboard_dir = RunLayout(dir.parent_path()).tensorboard(dir.filename());
  options.tensorboard_flush_seconds = r.logging.flush_seconds;
  options.checkpoint = r.checkpoint;
  options.fingerprint = in.fingerprint + " stage1";
  train::Trainer trainer(options, trained, {{"soft_prompt", soft}}, in.groups);
  trainer.run([&](int64_t) {
    return validation_metrics(rank_examples(model, soft, valid_tokens, encoder, in.groups));
  });

  if (in.groups.world->rank() == 0) save_soft_prompt(soft, dir / "soft_prompt.safetensors");
  in.groups.world->barrier();
  return {soft.detach(), trainer.history()};
}

}  // namespace delrec::stages
