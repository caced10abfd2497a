#include "core/run/slurm_script.h"

#include <algorithm>
#include <map>
#include <regex>

#include <fmt/ranges.h>

#include "core/config/embedded_files.h"
#include "core/run/exit_codes.h"
#include "core/util/error.h"
#include "parallel/layout.h"
#include "parallel/parallel_groups.h"

namespace fs = std::filesystem;

namespace delrec::run {
namespace {

// Characters an sbatch option value may hold here: enough for partitions, accounts, times, paths, constraints.
const std::regex kSafeOption(R"([A-Za-z0-9_.,:=@%/+\-]+)");
const std::regex kSlurmTime(R"((\d+-)?\d+(:\d+){0,2})");
const std::regex kEnvName(R"([A-Za-z_][A-Za-z0-9_]*)");
const std::regex kMpiPlugin(R"([A-Za-z0-9_]*)");

bool uses_srun(const config::Recipe& recipe) { return recipe.slurm.launcher == "srun"; }

std::string checked_option(const std::string& key, const std::string& value) {
  if (!std::regex_match(value, kSafeOption))
    throw UsageError(fmt::format("{}: '{}' holds characters an sbatch option cannot carry safely (allowed: letters, "
                                 "digits and _.,:=@%/+-)",
                                 key, value));
  return value;
}

// Names whose value changes which code the job's shell, launcher or ranks run, rather than how they run it.
bool takes_over_the_process(const std::string& name) {
  static const char* const kNames[] = {"LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "PATH", "BASH_ENV", "ENV",
                                       "IFS", "SHELLOPTS", "BASHOPTS", "PROMPT_COMMAND", "PS4", "PYTHONPATH",
                                       "PYTHONSTARTUP", "OPAL_PREFIX", "HOME"};
  for (const char* n : kNames)
    if (name == n) return true;
  return name.rfind("BASH_FUNC_", 0) == 0 || name.rfind("LD_", 0) == 0;
}

// The template rendered in one pass: each {{name}} of the template is replaced by its value, and a value is never
// scanned again, so a value holding "{{launch_line}}" (or any placeholder) stays that text.
std::string render(const std::string& tmpl, const std::map<std::string, std::string>& values) {
  std::string out;
  size_t at = 0;
  for (size_t open = tmpl.find("{{"); open != std::string::npos; open = tmpl.find("{{", at)) {
    const size_t close = tmpl.find("}}", open);
    DELREC_CHECK(close != std::string::npos, "sbatch template: '{{{{' without '}}}}'");
    const std::string name = tmpl.substr(open + 2, close - open - 2);
    const auto it = values.find(name);
    DELREC_CHECK(it != values.end(), "sbatch template: unknown placeholder {{{{{}}}}}", name);
    out += tmpl.substr(at, open - at) + it->second;
    at = close + 2;
  }
  return out + tmpl.substr(at);
}

std::string sbatch_lines(const config::Recipe& recipe, const fs::path& run_dir) {
  const auto& s = recipe.slurm;
  if (!std::regex_match(s.time, kSlurmTime))
    throw UsageError(fmt::format("slurm.time: '{}' is not a Slurm time limit (use [days-]hours:minutes:seconds, "
                                 "e.g. 1-12:00:00)",
                                 s.time));
  std::vector<std::string> opts = {
      "--job-name=" + checked_option("run.name", recipe.run.name),
      fmt::format("--nodes={}", s.nodes),
      fmt::format("--ntasks-per-node={}", s.tasks_per_node()),
      fmt::format("--cpus-per-task={}", s.cpus_per_task),
      "--time=" + s.time,
      "--requeue",
      // srun: the ranks are a job step and get the signal directly. mpirun: its ranks belong to the batch step,
      // which --signal skips unless "B:" sends it to the batch shell, which passes it to mpirun (and mpirun on to
      // every rank).
      fmt::format("--signal={}{}@{}", uses_srun(recipe) ? "" : "B:", s.signal, s.signal_lead_seconds),
      "--open-mode=append",                                    // a requeued job appends to the same log
      "--output=" + checked_option("run.out_dir", (run_dir / "logs" / "slurm-%j.out").string()),
  };
  if (s.gpus_per_node > 0) opts.push_back(fmt::format("--gpus-per-node={}", s.gpus_per_node));
  if (!s.partition.empty()) opts.push_back("--partition=" + checked_option("slurm.partition", s.partition));
  if (!s.account.empty()) opts.push_back("--account=" + checked_option("slurm.account", s.account));
  if (!s.qos.empty()) opts.push_back("--qos=" + checked_option("slurm.qos", s.qos));
  for (const auto& extra : s.sbatch_options) {
    if (extra.rfind("--", 0) != 0)
      throw UsageError(fmt::format("slurm.sbatch_options: '{}' must be a long option such as --exclusive", extra));
    opts.push_back(checked_option("slurm.sbatch_options", extra));
  }
  std::string out;
  for (const auto& o : opts) out += (out.empty() ? "" : "\n") + std::string("#SBATCH ") + o;
  return out;
}

// The names the script exports for the ranks: OMP_NUM_THREADS, NCCL_DEBUG and each slurm.env entry's.
std::vector<std::string> exported_names(const config::Recipe& recipe) {
  std::vector<std::string> names = {"OMP_NUM_THREADS", "NCCL_DEBUG"};
  for (const auto& entry : recipe.slurm.env) names.push_back(entry.substr(0, entry.find('=')));
  return names;
}

std::string env_lines(const config::Recipe& recipe) {
  std::vector<std::string> lines = {
      fmt::format("export OMP_NUM_THREADS={}", recipe.slurm.cpus_per_task),
      "export NCCL_DEBUG=\"${NCCL_DEBUG:-WARN}\"",
  };
  for (const auto& entry : recipe.slurm.env) {
    auto eq = entry.find('=');
    std::string name = entry.substr(0, eq);
    if (eq == std::string::npos || !std::regex_match(name, kEnvName))
      throw UsageError(fmt::format("slurm.env: '{}' must be NAME=value with NAME made of letters, digits and _", entry));
    if (takes_over_the_process(name) && !recipe.slurm.env_override_process)
      throw UsageError(fmt::format("slurm.env: {} changes which programs and libraries the job runs; set "
                                   "slurm.env_override_process: true if that is what you mean",
                                   name));
    lines.push_back("export " + name + "=" + shell_quote(entry.substr(eq + 1)));
  }
  std::string out;
  for (const auto& l : lines) out += (out.empty() ? "" : "\n") + l;
  return out;
}

std::string launch_line(const config::Recipe& recipe, const SlurmSubmission& sub) {
  // srun needs the MPI plugin that starts Open MPI ranks (PMIx): without it every rank is a lone rank 0 (or, with
  // the cluster's MpiDefault=none, MPI_Init fails).
  const std::string& mpi = recipe.slurm.srun_mpi;
  if (!std::regex_match(mpi, kMpiPlugin))
    throw UsageError(fmt::format("slurm.srun_mpi: '{}' is not an MPI plugin name (see `srun --mpi=list`)", mpi));
  // srun hands the whole environment to every rank on every node. mpirun hands on only what -x names to the ranks
  // it starts on other nodes: the names the script exports go with them explicitly.
  std::string launcher = "srun --kill-on-bad-exit=1 --cpu-bind=none" + (mpi.empty() ? std::string() : " --mpi=" + mpi);
  if (!uses_srun(recipe)) {
    launcher = "mpirun --bind-to none";
    for (const auto& name : exported_names(recipe)) launcher += " -x " + name;
  }
  std::string line = launcher + " " + shell_quote(fs::absolute(sub.delrec_binary).string()) + " run " +
                     shell_quote(fs::absolute(sub.recipe_path).string());
  for (const auto& o : sub.overrides) line += " " + shell_quote(o);
  return line;
}

// The layout the job's ranks will have: nodes x ranks per node, placed node by node (sbatch's default block
// distribution: ranks 0..R-1 on the first node), must divide by the TP size with every TP group inside one node.
// Checked here so that a layout that cannot run is refused before the job waits in the queue; the job checks the
// placement it really got again before reading any weight (parallel::check_tp_groups_within_nodes).
void check_layout(const config::Recipe& recipe) {
  const auto& s = recipe.slurm;
  if (s.ranks_per_node > 0 && s.gpus_per_node > 0 && s.ranks_per_node != s.gpus_per_node)
    throw UsageError(fmt::format("slurm.ranks_per_node: {} ranks on nodes of {} GPUs; delrec runs one rank per GPU, "
                                 "so leave ranks_per_node at 0 (or set slurm.gpus_per_node: 0 for a CPU-only job)",
                                 s.ranks_per_node, s.gpus_per_node));
  const int per_node = static_cast<int>(s.tasks_per_node()), nodes = static_cast<int>(s.nodes);
  const int tp = recipe.backbone.tp > 0 ? static_cast<int>(recipe.backbone.tp) : 1;
  const std::string shape = fmt::format("slurm.nodes {} x {} ranks per node (slurm.{})", nodes, per_node,
                                        s.ranks_per_node > 0 ? "ranks_per_node" : "gpus_per_node");
  try {
    const parallel::Layout layout = parallel::Layout::from_tp(nodes * per_node, 0, tp);
    parallel::World::Nodes placement;
    for (int node = 0; node < nodes; ++node) placement.node_names.push_back(fmt::format("node {}", node + 1));
    for (int rank = 0; rank < nodes * per_node; ++rank) placement.node_of_rank.push_back(rank / per_node);
    parallel::check_tp_groups_within_nodes(layout, placement);
  } catch (const std::invalid_argument& e) {
    throw UsageError(fmt::format("backbone.tp {} does not fit the job's {}: {}", tp, shape, e.what()));
  }
}

}  // namespace

std::string shell_quote(const std::string& text) {
  // Bash strings cannot hold NUL: it would cut the word short.
  if (text.find('\0') != std::string::npos)
    throw UsageError(fmt::format("a value for the job script holds a NUL character: '{}'", text.c_str()));
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string render_sbatch(const config::Recipe& recipe, const SlurmSubmission& sub) {
  check_layout(recipe);
  const auto& requeue = recipe.checkpoint.requeue_signals;
  if (std::find(requeue.begin(), requeue.end(), "SIG" + recipe.slurm.signal) == requeue.end())
    throw UsageError(fmt::format("slurm.signal: SIG{0} is not in checkpoint.requeue_signals [{1}], so the ranks would "
                                 "die at the time-limit warning instead of saving; add SIG{0} to "
                                 "checkpoint.requeue_signals or choose one of them",
                                 recipe.slurm.signal, fmt::join(requeue, ", ")));
  fs::path work_dir = fs::absolute(sub.work_dir);
  fs::path run_dir = fs::path(recipe.run.out_dir).is_absolute() ? fs::path(recipe.run.out_dir)
                                                                : work_dir / recipe.run.out_dir;
  std::string comment = fs::absolute(sub.recipe_path).string();
  for (char& c : comment) if (c == '\n' || c == '\r') c = ' ';  // a comment line must stay one line
  const std::map<std::string, std::string> values = {
      {"sbatch_lines", sbatch_lines(recipe, run_dir.lexically_normal())},
      {"recipe_comment", comment},
      {"signal_note",
       uses_srun(recipe)
           ? fmt::format("Slurm sends SIG{} to every rank {} s before the time limit.", recipe.slurm.signal,
                         recipe.slurm.signal_lead_seconds)
           : fmt::format("Slurm sends SIG{} to this shell {} s before the time limit; it passes\n# the "
                         "signal to mpirun, which forwards it to every rank.",
                         recipe.slurm.signal, recipe.slurm.signal_lead_seconds)},
      {"signal", recipe.slurm.signal},
      {"requeue_exit_code", std::to_string(kExitRequeue)},
      {"run_dir", shell_quote(run_dir.lexically_normal().string())},
      {"work_dir", shell_quote(work_dir.string())},
      {"env_lines", env_lines(recipe)},
      {"launch_line", launch_line(recipe, sub)},
  };
  const std::string script = render(config::kSlurmTemplate, values);
  return script;
}

}  // namespace delrec::run
