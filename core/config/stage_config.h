#pragma once
// Recipe sections `stage1` and `stage2`: the two DELRec training stages and the optimisation settings they share.
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/schema.h"

namespace delrec::config {

// The training loop's settings (core/train/trainer.h), one copy per stage.
struct OptimConfig {
  std::string optimizer = "adamw";  // adamw or lion
  double lr = 1e-3;                 // peak learning rate
  double weight_decay = 0.0;        // decoupled weight decay
  double beta1 = 0.9, beta2 = 0.999;
  int64_t steps = 100;              // optimizer steps
  int64_t batch_size = 16;          // examples per optimizer step, over all data-parallel ranks
  int64_t micro_batch_size = 4;     // examples per forward/backward on one rank (gradient accumulation)
  int64_t warmup_steps = 10;        // linear warm-up
  std::string decay = "cosine";     // constant, linear or cosine after the warm-up
  double min_lr_ratio = 0.1;        // the decay ends at min_lr_ratio * lr
  double clip = 1.0;                // global gradient-norm clip; 0 = off
  int64_t eval_every = 0;           // validate every N steps (and after the last); 0 = only after the last
  int64_t eval_examples = 64;       // validation users per validation (first N); 0 = all
  int64_t log_every = 10;           // metrics line every N steps
  std::string keep = "last";        // the stage's output: the last step, or the best validated one
  std::string keep_metric = "valid_ndcg@5";  // what best_valid compares (higher is better)

  void describe(Schema& s) {
    s.choice("optimizer", optimizer, {"adamw", "lion"}, "optimizer");
    s.field("lr", lr, "peak learning rate", between(0, 10));
    s.field("weight_decay", weight_decay, "decoupled weight decay", at_least(0));
    s.field("beta1", beta1, "first-moment coefficient (AdamW beta1, Lion beta1)", between(0, 0.999999));
    s.field("beta2", beta2, "second-moment coefficient (AdamW beta2, Lion beta2)", between(0, 0.999999));
    s.field("steps", steps, "optimizer steps", between(1, 1e9));
    s.field("batch_size", batch_size, "examples per optimizer step over all data-parallel ranks", between(1, 1e7));
    s.field("micro_batch_size", micro_batch_size, "examples per forward/backward on one rank", between(1, 1e6));
    s.field("warmup_steps", warmup_steps, "linear warm-up steps", at_least(0));
    s.choice("decay", decay, {"constant", "linear", "cosine"}, "learning-rate decay after the warm-up");
    s.field("min_lr_ratio", min_lr_ratio, "final learning rate as a fraction of lr", between(0, 1));
    s.field("clip", clip, "global gradient-norm clip; 0 = off", at_least(0));
    s.field("eval_every", eval_every, "validate every N steps and after the last; 0 = only after the last",
            at_least(0));
    s.field("eval_examples", eval_examples, "validation users per validation (the first N); 0 = all", at_least(0));
    s.field("log_every", log_every, "a metrics line every N steps", between(1, 1e9));
    s.choice("keep", keep, {"last", "best_valid"},
             "the stage's output: the parameters after the last step, or those of the validation (every eval_every "
             "steps and after the last) with the highest keep_metric; ties keep the earlier step");
    s.choice("keep_metric", keep_metric, {"valid_hr@1", "valid_hr@5", "valid_ndcg@5"},
             "validation metric keep: best_valid maximises");
  }
};

// Stage 1, recommendation pattern simulating (RPS): what the soft prompt learns to imitate (core/delrec/examples.h).
struct RpsConfig {
  std::string candidates = "teacher_topk";  // teacher_topk (the authors') or dataset_row (the true item + negatives)
  int64_t top_k = 10;                       // teacher_topk: the teacher's best k items are candidates
  std::string target = "distribution";      // distribution (KL to the teacher's softmax) or top1 (the authors')
  double temperature = 1.0;                 // teacher softmax temperature for target = distribution
  bool show_ranks = false;                  // list the teacher's ranks 2..k in the prompt ({teacher_ranks})

  void describe(Schema& s) {
    s.choice("candidates", candidates, {"teacher_topk", "dataset_row"},
             "teacher_topk: the teacher's top_k items plus items the user never interacted with, up to "
             "data.num_candidates (the soft prompt imitates the teacher, mistakes included); dataset_row: the true "
             "next item and sampled negatives (the teacher's best of those is mostly the true item)");
    s.field("top_k", top_k, "teacher_topk: how many of the teacher's best items are candidates (at most "
                            "data.num_candidates and teacher.top_k)", between(1, 100000));
    s.choice("target", target, {"top1", "distribution"},
             "top1: cross-entropy of the teacher's best candidate; distribution: KL to the teacher's softmax over "
             "the shown candidates");
    s.field("temperature", temperature, "teacher softmax temperature (target = distribution)", between(1e-3, 1e3));
    s.field("show_ranks", show_ranks, "fill {teacher_ranks} with the teacher's ranks 2..top_k (the authors list "
                                      "them after the answer slot; a causal LM sees them only before it)");
  }
};

// Stage 1, temporal analysis (TA): which candidate came right before a known next item.
struct TaConfig {
  int64_t demonstration_items = 4;  // in-context demonstration from the user's first items; 0 = none
  int64_t train_prefixes = 3;       // most recent training positions per user used as examples (-1 = all)

  void describe(Schema& s) {
    s.field("demonstration_items", demonstration_items,
            "items of the in-context demonstration, from the start of the user's history: all but the last two "
            "shown, the second-last hidden and answered, the last the known next item (the authors: 4); 0 = no "
            "demonstration", between(0, 1000));
    s.field("train_prefixes", train_prefixes, "most recent training positions per user used as examples; -1 = all",
            at_least(-1));
  }
};

// Stage 1: the soft prompt learns the teacher's pattern; the LLM is frozen.
struct Stage1Config {
  int64_t soft_tokens = 20;           // n soft-prompt vectors
  std::string init = "text";          // random, or text: the embeddings of init_text's tokens (cycled to n)
  std::string init_text = "sequential recommendation pattern of the teacher model";
  RpsConfig rps;
  TaConfig ta;
  std::string weighting = "dynamic";  // dynamic: w_i ~ sqrt(1 / ||grad_i||), normalised; fixed: the weights below
  double ta_weight = 0.5, rps_weight = 0.5;
  std::string schedule = "mix";       // mix: each step has a TA and an RPS batch; alternate: steps take turns
  OptimConfig train;

  Stage1Config() {
    train.optimizer = "lion";
    train.lr = 5e-3;
    train.weight_decay = 1e-5;
    train.clip = 2.0;
  }

  void describe(Schema& s) {
    s.field("soft_tokens", soft_tokens, "soft-prompt vectors", between(1, 100000));
    s.choice("init", init, {"random", "text"}, "initialisation: random (normal, the embedding table's scale) or "
                                               "the embeddings of init_text");
    s.field("init_text", init_text, "text whose token embeddings initialise the soft prompt (cycled to n)");
    s.section("rps", rps, "recommendation pattern simulating: candidates and target from the teacher");
    s.section("ta", ta, "temporal analysis: demonstration and examples");
    s.choice("weighting", weighting, {"dynamic", "fixed"},
             "task weights: dynamic (inverse square root of each task's gradient norm, normalised) or fixed");
    s.field("ta_weight", ta_weight, "fixed weight of the temporal-analysis loss", at_least(0));
    s.field("rps_weight", rps_weight, "fixed weight of the pattern-simulation loss", at_least(0));
    s.choice("schedule", schedule, {"mix", "alternate"},
             "mix: every step has a TA and an RPS batch; alternate: even steps TA, odd steps RPS");
    s.section("train", train, "optimisation of the soft prompt");
  }
};

// Stage 2: LoRA on the LLM, the stage-1 soft prompt frozen in the prompt.
struct Stage2Config {
  int64_t lora_r = 8;
  double lora_alpha = 16;
  double lora_dropout = 0.05;
  std::vector<std::string> lora_targets = {"q_proj", "v_proj"};
  OptimConfig train;

  Stage2Config() {
    train.lr = 1e-3;
  }

  void describe(Schema& s) {
    s.field("lora_r", lora_r, "LoRA rank", between(1, 65536));
    s.field("lora_alpha", lora_alpha, "LoRA alpha (scale alpha / r)", at_least(0));
    s.field("lora_dropout", lora_dropout, "dropout on the adapter's input", between(0, 0.99));
    s.field("lora_targets", lora_targets,
            "projections with adapters: q_proj k_proj v_proj o_proj gate_proj up_proj down_proj");
    s.section("train", train, "optimisation of the adapter");
  }
};

// Recipe section `eval`: the final evaluation.
struct EvalConfig {
  int64_t max_users = 0;  // test users evaluated (the first N); 0 = all
  std::vector<std::string> ablations = {"all"};  // rows besides DELRec and the teacher (docs/delrec.md)

  void describe(Schema& s) {
    s.field("max_users", max_users, "test users evaluated (the first N); 0 = all", at_least(0));
    s.choice_list("ablations", ablations, {"all", "none", "no_ta", "no_rps", "no_soft_prompt", "no_stage2", "zero_shot"},
                  "rows besides DELRec and the teacher: no_ta (stage 1 on RPS alone, then stage 2), no_rps (on TA "
                  "alone), no_soft_prompt (stage 2 only), no_stage2 (the distilled soft prompt on the frozen LLM), "
                  "zero_shot (the LLM as it is); all, or none");
  }

  // Whether the ablation `name` is part of the run.
  bool runs(const std::string& name) const {
    for (const auto& a : ablations)
      if (a == name || a == "all") return true;
    return false;
  }
};

}  // namespace delrec::config
