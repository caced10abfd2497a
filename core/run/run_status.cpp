#include "core/run/run_status.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>

#include "core/config/recipe.h"
#include "core/delrec/run_layout.h"
#include "core/run/pipeline.h"
#include "core/run/placement.h"
#include "core/run/teacher_steps.h"
#include "core/teacher/teacher.h"
#include "core/train/checkpoint_store.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace delrec::run {
namespace {

// The recipe the run was started with, with run.out_dir pointing at run_dir wherever the run was started from.
config::Recipe run_recipe(const fs::path& run_dir, bool* found) {
  const fs::path resolved = run_dir / "recipe.resolved.yaml";
  config::Recipe recipe;
  *found = fs::exists(resolved);
  if (*found) recipe = config::load_recipe(resolved);
  recipe.run.out_dir = run_dir.string();
  return recipe;
}

std::vector<RunStepStatus> run_steps(const config::Recipe& recipe) {
  const stages::RunLayout layout(recipe);
  const fs::path checkpoint = teacher::default_checkpoint_path(recipe.teacher, recipe.run.out_dir);
  std::vector<RunStepStatus> steps = {
      {"prepare", prepared_path(recipe), {}, {}},
      {"teacher", checkpoint, checkpoint.parent_path(),
       checkpoint.parent_path() / (recipe.teacher.model + ".metrics.jsonl")},
      {"teacher cache", teacher_cache_dir(recipe) / "manifest.json", {}, {}},
      {"stage 1", layout.soft_prompt(), layout.stage1(), layout.stage1() / "metrics.jsonl"},
      {"stage 2", layout.adapter(), layout.stage2(), layout.stage2() / "metrics.jsonl"},
  };
  for (const std::string without : {"ta", "rps"}) {
    if (!recipe.eval.runs("no_" + without)) continue;
    const std::string name = without == "ta" ? "TA" : "RPS";
    const fs::path s1 = layout.stage1_without(without), s2 = layout.stage2_without(without);
    steps.push_back({"stage 1 without " + name, s1 / "soft_prompt.safetensors", s1, s1 / "metrics.jsonl"});
    steps.push_back({"stage 2 without " + name, s2 / "adapter", s2, s2 / "metrics.jsonl"});
  }
  if (recipe.eval.runs("no_soft_prompt"))
    steps.push_back({"stage 2 without soft prompt", layout.ablation_adapter(), layout.ablation(),
                     layout.ablation() / "metrics.jsonl"});
  steps.push_back({"evaluation", layout.results_json(), {}, {}});
  for (auto& step : steps) {
    step.done = fs::exists(step.output);
    step.recorded = step.name != "prepare" && step.name != "evaluation";
    if (!step.done || !step.recorded) continue;
    try {
      step.provenance = read_provenance(step.output);
    } catch (const Error& e) {
      step.provenance_problem = e.what();
    }
  }
  return steps;
}

void read_checkpoints(RunStatus& status) {
  const fs::path& root = status.checkpoint_root;
  if (root.empty() || !fs::is_directory(root)) return;
  const train::CheckpointStore store(root, /*keep_last=*/1);  // read only: keep_last is never applied
  const std::string latest = store.latest_name();
  for (const auto& c : store.complete_by_step())
    status.checkpoints.push_back(
        {c.step, c.dir, c.dir.filename().string() == latest, train::CheckpointStore::verify(c.dir)});
  for (const auto& dir : store.partial()) status.partial_checkpoints.push_back(dir.filename().string());
}

std::string metric_text(const nlohmann::json& value) {
  if (value.is_number_float()) return fmt::format("{:.6g}", value.get<double>());
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

}  // namespace

std::optional<nlohmann::json> last_json_line(const fs::path& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::optional<nlohmann::json> last;
  for (std::string line; std::getline(in, line);) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto parsed = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_discarded()) last = std::move(parsed);
  }
  return last;
}

RunStatus read_run_status(const fs::path& run_dir) {
  DELREC_CHECK(fs::is_directory(run_dir), "{} is not a directory; give the run directory (the recipe's run.out_dir)",
               run_dir.string());
  RunStatus status;
  status.run_dir = run_dir;
  const config::Recipe recipe = run_recipe(run_dir, &status.resolved_recipe);
  status.steps = run_steps(recipe);
  for (size_t i = 0; i < status.steps.size(); ++i) {
    const auto& step = status.steps[i];
    if (!step.done && !status.current) status.current = i;
    if (status.current && i > *status.current) break;
    if (step.metrics.empty()) continue;
    if (auto line = last_json_line(step.metrics)) {
      status.metrics = std::move(line);
      status.metrics_file = step.metrics;
    }
  }
  if (status.current && !status.steps[*status.current].stage_dir.empty()) {
    status.checkpoint_root = status.steps[*status.current].stage_dir / "checkpoints";
    read_checkpoints(status);
  }
  const fs::path results_md = stages::RunLayout(run_dir).eval() / "results.md";
  if (fs::exists(results_md)) status.results_table = read_file(results_md);
  status.logs_dir = run_dir / "logs";
  if (fs::is_directory(status.logs_dir)) {
    for (const auto& entry : fs::directory_iterator(status.logs_dir))
      if (entry.is_regular_file() && entry.path() != placement_path(run_dir)) status.logs.push_back(entry.path());
    std::sort(status.logs.begin(), status.logs.end(), [](const fs::path& a, const fs::path& b) {
      return fs::last_write_time(a) < fs::last_write_time(b);
    });
  }
  status.placement = last_placement(run_dir);
  return status;
}

namespace {

// "dataset 1fe831ec2fd0, teacher checkpoint 9a0c3e1b77d2; teacher.model=sasrec teacher.lr=0.001 ..."
std::string provenance_text(const RunStepStatus& step) {
  if (!step.provenance_problem.empty()) return step.provenance_problem;
  if (!step.provenance) return "(no provenance record: made by an older delrec, or copied in by hand)";
  std::string out;
  for (const auto& [name, digest] : step.provenance->inputs)
    out += fmt::format("{}{} {}", out.empty() ? "" : ", ", name, digest.substr(0, 12));
  out += ";";
  for (const auto& [key, value] : step.provenance->recipe) out += fmt::format(" {}={}", key, value);
  return out;
}

}  // namespace

std::string format_run_status(const RunStatus& s) {
  std::string out = fmt::format("run directory {}\n", s.run_dir.string());
  if (!s.resolved_recipe) out += "  (no recipe.resolved.yaml yet: expecting the default outputs)\n";
  for (size_t i = 0; i < s.steps.size(); ++i) {
    const auto& step = s.steps[i];
    const char* mark = step.done ? "done" : (s.current && *s.current == i ? "next" : "    ");
    out += fmt::format("  [{}] {:<28} {}\n", mark, step.name, step.output.string());
    if (step.done && step.recorded) out += "         made from: " + provenance_text(step) + "\n";
  }
  if (!s.current) {
    out += "finished\n";
  } else {
    const auto& step = s.steps[*s.current];
    out += fmt::format("in progress (or next to run): {}", step.name);
    if (s.metrics && s.metrics_file.parent_path() == step.metrics.parent_path() && s.metrics->contains("step"))
      out += fmt::format(", last logged step {}", metric_text(s.metrics->at("step")));
    out += "\n";
  }
  if (!s.checkpoint_root.empty()) {
    if (s.checkpoints.empty() && s.partial_checkpoints.empty()) {
      out += fmt::format("checkpoints: none in {}\n", s.checkpoint_root.string());
    } else {
      out += fmt::format("checkpoints in {}:\n", s.checkpoint_root.string());
      for (const auto& c : s.checkpoints)
        out += fmt::format("  step {:>8}  {}{}\n", c.step, c.problem.empty() ? "intact" : "BROKEN: " + c.problem,
                           c.latest ? "  (latest)" : "");
      for (const auto& p : s.partial_checkpoints) out += fmt::format("  {}  (interrupted save, ignored)\n", p);
    }
  }
  if (s.metrics) {
    out += fmt::format("last metrics ({}):\n ", s.metrics_file.string());
    for (const auto& [key, value] : s.metrics->items()) out += fmt::format(" {}={}", key, metric_text(value));
    out += "\n";
  }
  if (!s.results_table.empty()) out += "results (eval/results.md):\n" + s.results_table;
  if (!s.results_table.empty() && s.results_table.back() != '\n') out += "\n";
  if (s.placement) {
    const auto& p = *s.placement;
    const auto text = [&](const char* key) {
      return p.contains(key) && p[key].is_string() ? p[key].get<std::string>() : std::string();
    };
    std::string job = text("slurm_job_id").empty() ? std::string("not a Slurm job")
                                                   : "job " + text("slurm_job_id") +
                                                         (text("slurm_restart_count").empty()
                                                              ? std::string()
                                                              : ", restart " + text("slurm_restart_count"));
    out += fmt::format("ranks (last start {}, {}, tp {}): {}\n", text("time"), job, p.value("tp", 0),
                       format_placement(p));
  }
  if (s.logs.empty()) {
    out += fmt::format("job logs: {} (none yet)\n", s.logs_dir.string());
  } else {
    out += fmt::format("job logs: {}, newest {}\n", s.logs_dir.string(), s.logs.back().filename().string());
  }
  return out;
}

nlohmann::json run_status_json(const RunStatus& s) {
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& step : s.steps)
    steps.push_back({{"name", step.name},
                     {"output", step.output.string()},
                     {"done", step.done},
                     {"provenance", step.provenance ? nlohmann::json{{"recipe", step.provenance->recipe},
                                                                     {"inputs", step.provenance->inputs}}
                                                    : nlohmann::json()}});
  nlohmann::json checkpoints = nlohmann::json::array();
  for (const auto& c : s.checkpoints)
    checkpoints.push_back({{"step", c.step}, {"dir", c.dir.string()}, {"latest", c.latest},
                           {"intact", c.problem.empty()}, {"problem", c.problem}});
  nlohmann::json logs = nlohmann::json::array();
  for (const auto& l : s.logs) logs.push_back(l.string());
  return {{"run_dir", s.run_dir.string()},
          {"finished", !s.current.has_value()},
          {"current", s.current ? nlohmann::json(s.steps[*s.current].name) : nlohmann::json()},
          {"steps", steps},
          {"metrics", s.metrics ? *s.metrics : nlohmann::json()},
          {"metrics_file", s.metrics ? nlohmann::json(s.metrics_file.string()) : nlohmann::json()},
          {"checkpoint_dir", s.checkpoint_root.empty() ? nlohmann::json() : nlohmann::json(s.checkpoint_root.string())},
          {"checkpoints", checkpoints},
          {"partial_checkpoints", s.partial_checkpoints},
          {"results_table", s.results_table.empty() ? nlohmann::json() : nlohmann::json(s.results_table)},
          {"logs_dir", s.logs_dir.string()},
          {"logs", logs},
          {"placement", s.placement ? *s.placement : nlohmann::json()}};
}

}  // namespace delrec::run
