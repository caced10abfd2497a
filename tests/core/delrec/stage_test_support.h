#pragma once
// A tiny DELRec run for the stage tests: synthetic data (40 users, 60 items), a SASRec teacher trained for two
// epochs and its cache, and a one-layer scratch backbone; everything the LLM stages read, built in seconds.
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "core/config/recipe.h"
#include "core/run/pipeline.h"

namespace delrec::test {

inline config::Recipe tiny_delrec_recipe(const std::filesystem::path& out_dir, int64_t batch_size = 4) {
  const std::string yaml = fmt::format(R"(
run: {{out_dir: "{}", seed: 11}}
data:
  dataset: synthetic
  num_candidates: 6
  seed: 5
  synthetic: {{users: 40, items: 60, min_length: 6, max_length: 10}}
teacher: {{max_len: 12, epochs: 2, eval_every: 1, batch_size: 16, top_k: 10, cache_train_prefixes: 2,
          sasrec: {{hidden: 16}}}}
backbone:
  scratch: {{hidden: 32, layers: 1, heads: 4, kv_heads: 2, intermediate: 48, vocab: 320}}
prompt: {{max_history_items: 3}}
stage1:
  soft_tokens: 3
  train: {{steps: 5, batch_size: {}, micro_batch_size: 1, warmup_steps: 1, eval_examples: 4, log_every: 1}}
stage2:
  lora_r: 2
  lora_dropout: 0.0
  train: {{steps: 5, batch_size: {}, micro_batch_size: 1, warmup_steps: 1, eval_examples: 4, log_every: 1}}
eval: {{max_users: 8}}
)",
                                       out_dir.string(), batch_size, batch_size);
  return config::parse_recipe(yaml, "<tiny test recipe>");
}

}  // namespace delrec::test
