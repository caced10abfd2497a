#pragma once
// Renders the sbatch script of a recipe from slurm/delrec.sbatch.in and the recipe's `slurm:` section.
// Nothing from the recipe reaches the shell unquoted: values used in `#SBATCH` lines (which sbatch parses
// without a shell) must consist of safe characters, and every value in the script body is single-quoted.
#include <filesystem>
#include <string>
#include <vector>

#include "core/config/recipe.h"

namespace delrec::run {

struct SlurmSubmission {
  std::filesystem::path recipe_path;    // the recipe the job runs (made absolute)
  std::vector<std::string> overrides;   // key.path=value overrides passed on to `delrec run`
  std::filesystem::path delrec_binary;  // the executable the ranks run (made absolute)
  std::filesystem::path work_dir;       // directory the job starts in (relative paths in the recipe resolve here)
};

// 'text' with every ' written as '\'' : safe as one shell word whatever the text holds.
std::string shell_quote(const std::string& text);

// The complete sbatch script. Throws delrec::UsageError naming the `slurm.` key of an unsafe or malformed value.
std::string render_sbatch(const config::Recipe& recipe, const SlurmSubmission& submission);

}  // namespace delrec::run
