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
  }
};

// Stage 1: the soft prompt learns the teacher's pattern; the LLM is frozen.
struct Stage1Config {
  int64_t soft_tokens = 20;           // n soft-prompt vectors
  std::string init = "text";          // random, or text: the embeddings of init_text's tokens (cycled to n)
  std::string init_text = "sequential recommendation pattern of the teacher model";
  std::string rps_target = "distribution";  // top1 (the paper) or distribution (KL to the teacher's softmax)
  double temperature = 1.0;           // teacher softmax temperature for rps_target = distribution
  std::string weighting = "dynamic";  // dynamic: w_i ~ sqrt(1 / ||grad_i||), normalised; fixed: the weights below
  double ta_weight = 0.5, rps_weight = 0.5;
  std::string schedule = "mix";       // mix: each step has a TA and an RPS batch; alternate: steps take turns
  int64_t train_prefixes = 3;         // TA: most recent training positions per user used as examples (-1 = all)
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
    s.choice("rps_target", rps_target, {"top1", "distribution"},
             "RPS target: the teacher's top-1 candidate, or its softmax over the candidates (KL)");
    s.field("temperature", temperature, "teacher softmax temperature (rps_target = distribution)", between(1e-3, 1e3));
    s.choice("weighting", weighting, {"dynamic", "fixed"},
             "task weights: dynamic (inverse square root of each task's gradient norm, normalised) or fixed");
    s.field("ta_weight", ta_weight, "fixed weight of the temporal-analysis loss", at_least(0));
    s.field("rps_weight", rps_weight, "fixed weight of the pattern-simulation loss", at_least(0));
    s.choice("schedule", schedule, {"mix", "alternate"},
             "mix: every step has a TA and an RPS batch; alternate: even steps TA, odd steps RPS");
    s.field("train_prefixes", train_prefixes, "TA examples per user: most recent training positions; -1 = all",
            at_least(-1));
    s.section("train", train, "optimisation of the soft prompt");
  }
};

// Stage 2: LoRA on the LLM, the stage-1 soft prompt frozen in the prompt.
struct Stage2Config {
  int64_t lora_r = 8;
  double lora_alpha = 16;
  double lora_dropout = 0.05;
  std::vector<std::string> lora_targets = {"q_proj", "v_proj"};
  bool ablation = true;  // also train the same adapter without the soft prompt (the table's ablation row)
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
    s.field("ablation", ablation, "also train the adapter without the soft prompt (the ablation row)");
    s.section("train", train, "optimisation of the adapter");
  }
};

// Recipe section `eval`: the final evaluation.
struct EvalConfig {
  int64_t max_users = 0;  // test users evaluated (the first N); 0 = all
  bool zero_shot = true;   // also rank with the backbone as it is: no soft prompt, no adapter

  void describe(Schema& s) {
    s.field("max_users", max_users, "test users evaluated (the first N); 0 = all", at_least(0));
    s.field("zero_shot", zero_shot, "also evaluate the backbone with no training (no soft prompt, no adapter)");
  }
};

}  // namespace delrec::config
