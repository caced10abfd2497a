#pragma once
// What `delrec slurm status RUN_DIR` shows: how far a run directory has got, read from the files alone (it works on
// a login node while the job runs, after it was preempted, or after it finished).
//
//   steps        each step's output (core/delrec/run_layout.h), whether it exists, and its provenance record
//                (core/run/provenance.h: the recipe keys and input digests it was made from)
//   current      the first step whose output is missing: the stage in progress, or the next to run
//   metrics      the last complete line of that stage's metrics.jsonl (else of the latest stage that has one)
//   checkpoints  <stage dir>/checkpoints/step-NNNNNN/ of that stage, each verified against its manifest
//   results      eval/results.md when the run is finished
//   logs         <run>/logs/, where the Slurm job writes slurm-<jobid>.out
//   placement    <run>/logs/placement.json: the node, process and threads of every rank of the last start
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/run/provenance.h"

namespace delrec::run {

struct RunStepStatus {
  std::string name;                 // "prepare", "teacher", "teacher cache", "stage 1", "stage 2", ...
  std::filesystem::path output;     // the file or directory whose existence means the step is done
  std::filesystem::path stage_dir;  // where its metrics.jsonl and checkpoints/ live (empty: none)
  std::filesystem::path metrics;    // its metrics file (empty: none)
  bool done = false;
  bool recorded = false;                   // its output carries a provenance record (not prepare, evaluation)
  std::optional<Provenance> provenance{};  // the record, when the output exists and has one
  std::string provenance_problem{};        // why the record could not be read, else empty
};

struct CheckpointStatus {
  int64_t step = 0;
  std::filesystem::path dir;
  bool latest = false;  // named by the `latest` file
  std::string problem;  // empty when every file matches the manifest, else what is wrong
};

struct RunStatus {
  std::filesystem::path run_dir;
  bool resolved_recipe = false;          // recipe.resolved.yaml was found and read
  std::vector<RunStepStatus> steps;
  std::optional<size_t> current;         // index into steps of the first missing output; none = finished
  std::optional<nlohmann::json> metrics;  // the last metrics line (see above)
  std::filesystem::path metrics_file;    // where it came from
  std::filesystem::path checkpoint_root;  // <stage dir>/checkpoints of the current step (may not exist)
  std::vector<CheckpointStatus> checkpoints;  // oldest first
  std::vector<std::string> partial_checkpoints;  // leftover step-N.tmp directories of interrupted saves
  std::string results_table;             // eval/results.md, empty when absent
  std::filesystem::path logs_dir;        // <run>/logs
  std::vector<std::filesystem::path> logs;  // files in logs_dir, oldest first (placement.json aside)
  std::optional<nlohmann::json> placement;  // the last start's ranks and their nodes (core/run/placement.h)
};

// Reads the run directory. Outputs come from <run>/recipe.resolved.yaml when present (teacher model, data.prepared,
// teacher.cache_dir, eval.ablations), else the defaults. Throws delrec::Error when run_dir is not a directory.
RunStatus read_run_status(const std::filesystem::path& run_dir);

// The last line of a JSON-lines file that parses (a line cut short by a kill is skipped); none when there is none.
std::optional<nlohmann::json> last_json_line(const std::filesystem::path& path);

// Human-readable report, several lines.
std::string format_run_status(const RunStatus& status);

// The same as one JSON object: {"run_dir", "finished", "current", "steps": [{"name", "output", "done"}],
// (each step also has "provenance": {"recipe", "inputs"} or null), "metrics", "metrics_file", "checkpoint_dir",
// "checkpoints": [{"step", "dir", "latest", "intact", "problem"}], "partial_checkpoints", "results_table",
// "logs_dir", "logs", "placement"} (the last start of placement.json, or null).
nlohmann::json run_status_json(const RunStatus& status);

}  // namespace delrec::run
