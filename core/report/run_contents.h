#pragma once
// What a run directory holds that a person judges a run by, gathered for the report (report_page.h):
//
//   recipe       recipe.resolved.yaml
//   curves       every logged number of each step, by tag as in TensorBoard (tensorboard::metric_scalars): the
//                teacher's teacher/<model>.metrics.jsonl (x = epoch) and each stage's <dir>/metrics.jsonl (x = step;
//                stage1, stage2 and the ablations' stage1_no_ta, ...). A resumed stage's file holds each step once.
//   results      eval/results.json (absent until the evaluation ran)
//   provenance   every <output>.provenance.json: what each output was made from
//   checkpoints  the complete in-stage checkpoints left, with their sizes
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace delrec::report {

struct StepCurves {
  std::string step;                  // "teacher", "stage1", "stage2_no_ta", ...
  std::string x;                     // "epoch" or "step"
  std::vector<nlohmann::json> lines;  // the metrics lines, torn ones left out
  std::map<std::string, std::vector<std::pair<double, double>>> series;  // tag -> (x, value) in file order
};

struct Checkpoint {
  std::string step, name;  // "stage2", "step-40"
  uintmax_t bytes = 0;
};

struct RunContents {
  std::string name;  // the directory's name
  std::filesystem::path dir;
  std::string recipe;                                        // empty when missing
  std::vector<StepCurves> curves;                            // teacher first, then the stages by name
  nlohmann::json results;                                    // null when the evaluation has not run
  std::vector<std::pair<std::string, nlohmann::json>> provenance;  // output (relative path) -> its record
  std::vector<Checkpoint> checkpoints;
};

// Reads a run directory; an Error when it holds no run (no recipe.resolved.yaml and no metrics).
RunContents read_run(const std::filesystem::path& dir);

}  // namespace delrec::report
