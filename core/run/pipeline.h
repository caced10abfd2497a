#pragma once
// The DELRec pipeline as one short function: each step reads the previous step's output file in the run directory
// and is skipped when its own output already exists and was made from the same recipe section.
//
//   raw logs -> prepare -> <out_dir>/data.h5
//   (later steps: teacher, teacher cache, stage 1, stage 2, evaluation)
#include <filesystem>

#include "core/config/recipe.h"
#include "core/data/dataset.h"

namespace delrec::run {

// Where the prepared dataset of a recipe lives: data.prepared, or <run.out_dir>/data.h5.
std::filesystem::path prepared_path(const config::Recipe& recipe);

// The outcome of a pipeline run, for the summary that `delrec run` and `delrec quickstart` print.
struct PipelineResult {
  std::filesystem::path run_dir;
  data::Dataset dataset;
};

// Runs every step whose output is missing. An existing output made from a different recipe section is an Error
// that names the file and says how to start over (it is never silently reused or overwritten).
PipelineResult run_pipeline(const config::Recipe& recipe);

}  // namespace delrec::run
