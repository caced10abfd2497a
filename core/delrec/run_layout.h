#pragma once
// Where each step of a DELRec run writes, below run.out_dir (docs/delrec.md):
//
//   data.h5                         prepared dataset (unless data.prepared points elsewhere)
//   teacher/<model>.pt              teacher checkpoint, its metrics and evaluation
//   teacher_cache/                  teacher outputs for every example (manifest.json + shards)
//   backbone/                       the scratch backbone (only when backbone.path is empty)
//   stage1/soft_prompt.safetensors  the distilled soft prompt, stage1/metrics.jsonl
//   stage2/adapter/                 the LoRA adapter in PEFT format, stage2/metrics.jsonl
//   stage2_no_soft_prompt/adapter/  the ablation without soft prompt (stage 2 only)
//   stage1_no_ta/, stage2_no_ta/    the ablation without TA: stage 1 on RPS alone, then stage 2 on its soft prompt
//   stage1_no_rps/, stage2_no_rps/  the ablation without RPS
//   eval/results.json, results.md   the results table (DELRec, each ablation, the teacher)
//   tensorboard/<step>/             TensorBoard event files of teacher, stage1, stage2, each ablation, eval
//   report.html                     the run report (delrec report)
//   recipe.resolved.yaml            the recipe with every default filled in
#include <filesystem>
#include <string>

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
  // The ablations without one stage-1 task: `without` is "ta" or "rps".
  std::filesystem::path stage1_without(const std::string& without) const { return root / ("stage1_no_" + without); }
  std::filesystem::path stage2_without(const std::string& without) const { return root / ("stage2_no_" + without); }
  std::filesystem::path eval() const { return root / "eval"; }
  std::filesystem::path results_json() const { return eval() / "results.json"; }
  // The event files of one step: "teacher", "eval", or a stage directory's name ("stage1", "stage2_no_ta", ...).
  std::filesystem::path tensorboard(const std::string& step) const { return root / "tensorboard" / step; }
  std::filesystem::path report() const { return root / "report.html"; }
};

}  // namespace delrec::stages
