#include "core/report/run_contents.h"

#include <algorithm>
#include <sstream>

#include "core/delrec/run_layout.h"
#include "core/tensorboard/summary_writer.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_input.h"

namespace delrec::report {
namespace fs = std::filesystem;
namespace {

constexpr const char* kProvenanceSuffix = ".provenance.json";

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The lines of a metrics file; a line cut short by a kill (not JSON, or without the x counter) is left out.
StepCurves read_curves(const std::string& step, const std::string& x, const fs::path& jsonl) {
  StepCurves out{step, x, {}, {}};
  std::istringstream in(read_file(jsonl));
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || json_nesting_depth(line) > kMaxJsonDepth) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!j.is_object() || !j.contains(x) || !j[x].is_number()) continue;
    const double at = j[x].get<double>();
    for (const auto& [tag, value] : tensorboard::metric_scalars(j)) out.series[tag].emplace_back(at, value);
    out.lines.push_back(std::move(j));
  }
  return out;
}

uintmax_t tree_bytes(const fs::path& dir) {
  uintmax_t bytes = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) bytes += e.file_size();
  return bytes;
}

}  // namespace

RunContents read_run(const fs::path& dir) {
  const stages::RunLayout layout(dir);
  DELREC_CHECK(fs::is_directory(dir), "{} is not a directory (pass a run directory: run.out_dir of a recipe)",
               dir.string());
  RunContents run;
  run.dir = fs::absolute(dir).lexically_normal();
  run.name = run.dir.filename().string();
  if (run.name.empty()) run.name = run.dir.parent_path().filename().string();
  if (fs::exists(dir / "recipe.resolved.yaml")) run.recipe = read_file(dir / "recipe.resolved.yaml");

  if (fs::is_directory(dir / "teacher"))
    for (const auto& e : fs::directory_iterator(dir / "teacher"))
      if (ends_with(e.path().filename().string(), ".metrics.jsonl"))
        run.curves.push_back(read_curves("teacher", "epoch", e.path()));
  std::vector<fs::path> stage_dirs;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.is_directory() && fs::exists(e.path() / "metrics.jsonl")) stage_dirs.push_back(e.path());
  std::sort(stage_dirs.begin(), stage_dirs.end());
  for (const fs::path& stage : stage_dirs) {
    run.curves.push_back(read_curves(stage.filename().string(), "step", stage / "metrics.jsonl"));
    if (!fs::is_directory(stage / "checkpoints")) continue;
    std::vector<Checkpoint> here;
    for (const auto& c : fs::directory_iterator(stage / "checkpoints")) {
      const std::string name = c.path().filename().string();
      if (c.is_directory() && name.rfind("step-", 0) == 0 && name.find(".tmp") == std::string::npos)
        here.push_back({stage.filename().string(), name, tree_bytes(c.path())});
    }
    std::sort(here.begin(), here.end(), [](const Checkpoint& a, const Checkpoint& b) {
      return std::stoll(a.name.substr(5)) < std::stoll(b.name.substr(5));
    });
    run.checkpoints.insert(run.checkpoints.end(), here.begin(), here.end());
  }
  DELREC_CHECK(!run.recipe.empty() || !run.curves.empty(),
               "{} holds no delrec run (no recipe.resolved.yaml and no metrics.jsonl)", dir.string());

  if (fs::exists(layout.results_json()))
    run.results = parse_json(read_file(layout.results_json()), layout.results_json().string());

  // Records sit next to their outputs, at most two levels down (teacher/sasrec.pt, stage2/adapter, ...).
  std::vector<fs::path> records;
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator(); ++it) {
    if (it->is_directory() && (it.depth() >= 2 || it->path().filename() == "checkpoints")) {
      it.disable_recursion_pending();
      continue;
    }
    if (it->is_regular_file() && ends_with(it->path().filename().string(), kProvenanceSuffix))
      records.push_back(it->path());
  }
  std::sort(records.begin(), records.end());
  for (const fs::path& p : records) {
    std::string output = p.lexically_relative(dir).string();
    output.resize(output.size() - std::string(kProvenanceSuffix).size());
    run.provenance.emplace_back(output, parse_json(read_file(p), p.string()));
  }
  return run;
}

}  // namespace delrec::report
