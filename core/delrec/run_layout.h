#pragma once
// Where each step of a DELRec run writes, below run.out_dir (docs/delrec.md):
//
//   data.h5                         prepared dataset (unless data.prepared points elsewhere)
//   teacher/<model>.pt              teacher checkpoint, its metrics and evaluation
//   teacher_cache/                  teacher outputs for every example (manifest.json + shards)
//   backbone/                       the scratch backbone (only when backbone.path is empty)
//   stage1/soft_prompt.safetensors  the distilled soft prompt, stage1/metrics.jsonl
//   stage2/adapter/                 the LoRA adapter in PEFT format, stage2/metrics.jsonl
//   stage2_no_soft_prompt/adapter/  the ablation's adapter
//   eval/results.json, results.md   the results table
//   recipe.resolved.yaml            the recipe with every default filled in
#include <filesystem>

#include "core/config/recipe.h"

namespace delrec::stages {

struct RunLayout {
  std::filesystem::path root;

  explicit RunLayout(const config::Recipe& recipe) : root(recipe.run.out_dir) {}
  explicit RunLayout(std::filesystem::path dir) : root(std::move(dir)) {}

  std::filesystem::path stage1() const { return root / "stage1"; }
  std::filesystem::path soft_prompt() const { return stage1() / "soft_prompt.safetensors"; }
  std::filesystem::path stage2() const { return root / "stage2"; }
  std::filesystem::path adapter() const { return stage2() / "adapter"; }
  std::filesystem::path ablation() const { return root / "stage2_no_soft_prompt"; }
  std::filesystem::path ablation_adapter() const { return ablation() / "adapter"; }
  std::filesystem::path eval() const { return root / "eval"; }
  std::filesystem::path results_json() const { return eval() / "results.json"; }
};

}  // namespace delrec::stages
