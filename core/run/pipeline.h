#pragma once
// The DELRec pipeline as one short function: each step reads the previous steps' outputs in the run directory
// (layout in core/delrec/run_layout.h) and is skipped when its own output already exists.
//
//   raw logs -> prepare -> data.h5 -> teacher train -> teacher/<model>.pt -> teacher cache -> teacher_cache/
//   -> backbone (scratch only) -> stage 1 -> stage1/soft_prompt.safetensors -> stage 2 -> stage2/adapter/
//   (-> stage 2 without soft prompt -> stage2_no_soft_prompt/adapter/) -> evaluation -> eval/results.{json,md}
//
// Collective over the world: single-process steps (prepare, teacher training, the scratch backbone) run on rank 0
// while the others wait; the cache is written by every rank; the LLM stages run on every rank, split by the layout.
#include <filesystem>
#include <optional>

#include "core/config/recipe.h"
#include "core/data/dataset.h"
#include "core/delrec/evaluation.h"
#include "core/teacher/teacher_cache.h"
#include "parallel/world.h"

namespace delrec::run {

// Where the prepared dataset of a recipe lives: data.prepared, or <run.out_dir>/data.h5.
std::filesystem::path prepared_path(const config::Recipe& recipe);

// The prepared dataset of a recipe, on this process alone: loaded when it exists (an Error when it was made from a
// different `data` section), else prepared from the raw data and saved.
data::Dataset prepared_dataset(const config::Recipe& recipe);

// The outcome of a pipeline run, for the summary that `delrec run` and `delrec quickstart` print.
struct PipelineResult {
  std::filesystem::path run_dir;
  data::Dataset dataset;
  stages::RunResults results;
};

// How far to go: the prepared dataset; also the teacher, its cache and the backbone; or every step.
enum class Until { kPrepare, kTeacher, kEverything };

// Runs every step whose output is missing (up to `until`). An existing dataset made from a different recipe
// section is an Error that names the file and says how to start over (it is never silently reused or
// overwritten).
PipelineResult run_pipeline(const config::Recipe& recipe, const parallel::World& world,
                            Until until = Until::kEverything);

// The run's teacher cache, opened (checked against the dataset's fingerprint): the stages read the rows they use.
teacher::TeacherCacheReader open_cache(const config::Recipe& recipe, const data::Dataset& dataset);

// Loads <run_dir>/recipe.resolved.yaml, the dataset and the teacher cache, and evaluates again (`delrec eval`).
stages::RunResults evaluate_run_dir(const std::filesystem::path& run_dir, const parallel::World& world);

}  // namespace delrec::run
