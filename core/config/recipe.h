#pragma once
// A recipe: the typed configuration of one DELRec run, loaded from YAML with validation. Each section lives in its
// own header (data_config.h, ...); this struct only composes them.
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/backbone_config.h"
#include "core/config/checkpoint_config.h"
#include "core/config/data_config.h"
#include "core/config/logging_config.h"
#include "core/config/prompt_config.h"
#include "core/config/schema.h"
#include "core/config/teacher_config.h"
#include "core/config/slurm_config.h"
#include "core/config/stage_config.h"

namespace delrec::config {

// Recipe section `run`: where outputs go and the global seed.
struct RunConfig {
  std::string name = "delrec";        // run name (used in logs and Slurm job names)
  std::string out_dir = "runs/delrec";  // run directory: every output of the run is written below it
  int64_t seed = 1234;                // global seed for training (data sampling has its own seeds)

  void describe(Schema& s) {
    s.field("name", name, "run name (logs, Slurm job name)");
    s.field("out_dir", out_dir, "run directory holding every output of the run");
    s.field("seed", seed, "global training seed", at_least(0));
  }
};

struct Recipe {
  RunConfig run;
  DataConfig data;
  TeacherConfig teacher;
  BackboneConfig backbone;
  PromptConfig prompt;
  Stage1Config stage1;
  Stage2Config stage2;
  EvalConfig eval;
  CheckpointConfig checkpoint;
  LoggingConfig logging;
  SlurmConfig slurm;

  void describe(Schema& s) {
    s.section("run", run, "run name, output directory and seed");
    s.section("data", data, "raw dataset and its preparation");
    s.section("teacher", teacher, "teacher model (SASRec, GRU4Rec, Caser), its training and its cache");
    s.section("backbone", backbone, "the LLM: a Hugging Face checkpoint or a small model built from scratch");
    s.section("prompt", prompt, "prompt templates, truncation and candidate scoring");
    s.section("stage1", stage1, "stage 1: soft prompt distilled from the teacher (TA + RPS), LLM frozen");
    s.section("stage2", stage2, "stage 2: LoRA fine-tuning with the stage-1 soft prompt frozen");
    s.section("eval", eval, "final evaluation on the test split");
    s.section("checkpoint", checkpoint, "in-stage checkpoints, resume and the job's time budget");
    s.section("logging", logging, "TensorBoard event files and the HTML run report");
    s.section("slurm", slurm, "sbatch settings for `delrec slurm submit`");
  }
};

// Loads `path` (YAML), applies `overrides` ("key.path=value", YAML scalar or flow list values), validates every
// field and returns the recipe. Errors are delrec::UsageError with "file:line:col key.path: message" or
// "override 'k=v': message". An empty path starts from the defaults.
Recipe load_recipe(const std::filesystem::path& path, const std::vector<std::string>& overrides = {});

// Same, from YAML text already in memory; `origin` names it in errors (e.g. "<embedded quickstart>").
Recipe parse_recipe(const std::string& yaml, const std::string& origin,
                    const std::vector<std::string>& overrides = {});

// The fully resolved recipe as YAML, every field present, each preceded by its doc comment.
std::string dump_recipe(const Recipe& recipe);

// Writes dump_recipe() atomically to `<dir>/recipe.resolved.yaml` and returns that path.
std::filesystem::path write_resolved_recipe(const Recipe& recipe, const std::filesystem::path& dir);

}  // namespace delrec::config
