#pragma once
// DELRec's two training stages on a loaded backbone (docs/delrec.md):
//
//   stage 1  LLM frozen; the soft prompt learns from temporal analysis (TA) and recommendation pattern simulating
//            (RPS, targets from the teacher cache), losses combined with fixed or dynamic weights
//            -> <dir>/soft_prompt.safetensors
//   stage 2  soft prompt frozen; LoRA adapters on the LLM learn to rank the candidates (softmax cross-entropy of the
//            true next item); without a soft prompt this is the ablation
//            -> <dir>/adapter/ (PEFT format)
//
// Both write <dir>/metrics.jsonl (one line per logged step), save checkpoints in <dir>/checkpoints/ (recipe section
// `checkpoint`), resume from the newest one, and are collective over the world.
#include <torch/torch.h>

#include <filesystem>

#include "core/config/recipe.h"
#include "core/data/dataset.h"
#include "core/delrec/backbone.h"
#include "core/teacher/teacher_cache.h"
#include "core/train/trainer.h"
#include "parallel/parallel_groups.h"

namespace delrec::stages {

struct StageInputs {
  const config::Recipe& recipe;
  const data::Dataset& dataset;
  const teacher::TeacherCacheReader& cache;  // read row by row as the stages use examples (cache_examples.h)
  const parallel::ParallelGroups& groups;
  std::string fingerprint;  // identifies the dataset and teacher cache; a stage checkpoint made for others is refused
};

struct StageOutcome {
  torch::Tensor soft_prompt;                  // stage 1: the trained soft prompt (n, hidden) float32
  std::vector<train::StepRecord> history;     // every step's losses, norms and timings
};

// Which stage-1 tasks train: both (DELRec), or one of them (the ablations without TA and without RPS).
enum class Stage1Tasks { kBoth, kTemporalOnly, kRpsOnly };

// Trains the soft prompt and writes <dir>/soft_prompt.safetensors, and <dir>/rps_targets.json (how often the RPS
// target is the true next item) when RPS trains.
StageOutcome run_stage1(const StageInputs& in, Backbone& backbone, const std::filesystem::path& dir,
                        Stage1Tasks tasks = Stage1Tasks::kBoth);

// Attaches fresh adapters to `backbone` (which must have none) and trains them with `soft_prompt` frozen in the
// prompt (undefined = no soft prompt: the ablation). Writes <dir>/adapter/. The adapters stay attached.
StageOutcome run_stage2(const StageInputs& in, Backbone& backbone, const torch::Tensor& soft_prompt,
                        const std::filesystem::path& dir);

}  // namespace delrec::stages
