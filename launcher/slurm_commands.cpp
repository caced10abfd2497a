// `delrec slurm submit RECIPE [flags] [key.path=value ...]`: render the recipe's sbatch script into the run
// directory and submit it with sbatch (or print it with --dry-run).
// `delrec slurm status RUN_DIR [--json]`: how far the run has got (core/run/run_status.h).
#include <spdlog/spdlog.h>

#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "core/config/recipe.h"
#include "core/delrec/backbone.h"
#include "core/plan/plan.h"
#include "core/run/run_status.h"
#include "core/run/slurm_script.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "launcher/commands.h"

namespace fs = std::filesystem;

namespace delrec::cli {
namespace {

struct SubmitArgs {
  std::string recipe;
  std::vector<std::string> overrides;
  std::vector<std::pair<std::string, std::string>> flags;  // (recipe key, value) from --nodes etc.
  bool dry_run = false;
  bool force = false;
  std::string gpu;  // the hardware the estimate assumes
};

void submit(const SubmitArgs& args) {
  std::vector<std::string> overrides;
  for (const auto& [key, value] : args.flags)
    if (!value.empty()) overrides.push_back(key + "=" + value);
  overrides.insert(overrides.end(), args.overrides.begin(), args.overrides.end());
  config::Recipe recipe = config::load_recipe(args.recipe, overrides);
  if (!args.force) {  // `delrec plan`'s estimate of the job's layout, before it waits in the queue
    plan::Request req;
    req.hw = plan::hardware(!args.gpu.empty() ? args.gpu : recipe.slurm.gpus_per_node > 0 ? "h100-80gb" : "cpu");
    req.nodes = recipe.slurm.nodes;
    req.gpus_per_node = recipe.slurm.tasks_per_node();
    const int64_t world = req.nodes * req.gpus_per_node, tp = stages::tensor_parallel_size(recipe);
    if (tp >= 1 && world % tp == 0) plan::check_fits(recipe, req, tp, world / tp);
  }

  char self[4096];
  ssize_t n = ::readlink("/proc/self/exe", self, sizeof(self) - 1);
  DELREC_CHECK(n > 0, "cannot locate the delrec executable through /proc/self/exe");
  run::SlurmSubmission sub{args.recipe, args.overrides, std::string(self, static_cast<size_t>(n)), fs::current_path()};
  // The job runs the recipe with the same overrides; flags already live in the rendered #SBATCH lines.
  std::string script = run::render_sbatch(recipe, sub);
  if (args.dry_run) {
    std::cout << script;
    return;
  }
  fs::path path = fs::absolute(recipe.run.out_dir) / "slurm" / "job.sbatch";
  write_file_atomically(path, script);
  // slurmd opens the job's --output file before the script runs, so its directory must exist already.
  fs::create_directories(fs::absolute(recipe.run.out_dir) / "logs");
  spdlog::info("wrote {}", path.string());
  std::string command = "sbatch --parsable " + run::shell_quote(path.string());
  int status = std::system(command.c_str());
  DELREC_CHECK(status == 0, "`{}` failed (exit status {}); is Slurm installed and is this a submit host?", command,
               WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

void status(const std::string& run_dir, bool json) {
  const run::RunStatus found = run::read_run_status(run_dir);
  if (json) {
    std::cout << run::run_status_json(found).dump(2) << "\n";
  } else {
    std::cout << run::format_run_status(found);
  }
}

}  // namespace

void add_slurm_commands(CLI::App& app) {
  auto* slurm = app.add_subcommand("slurm", "Submit recipes as Slurm jobs");
  slurm->require_subcommand(1);
  auto args = std::make_shared<SubmitArgs>();
  auto* sub = slurm->add_subcommand("submit", "Render the recipe's sbatch script and submit it (--dry-run prints it)");
  sub->add_option("recipe", args->recipe, "Recipe YAML file")->required();
  sub->add_option("overrides", args->overrides, "key.path=value overrides, passed on to the job");
  static const std::vector<std::pair<std::string, std::string>> kFlags = {
      {"nodes", "slurm.nodes"},         {"gpus-per-node", "slurm.gpus_per_node"},
      {"cpus-per-task", "slurm.cpus_per_task"}, {"time", "slurm.time"},
      {"partition", "slurm.partition"}, {"account", "slurm.account"},
      {"qos", "slurm.qos"},             {"launcher", "slurm.launcher"}};
  args->flags.resize(kFlags.size());
  for (size_t i = 0; i < kFlags.size(); ++i) {
    args->flags[i].first = kFlags[i].second;
    sub->add_option("--" + kFlags[i].first, args->flags[i].second, "overrides " + kFlags[i].second);
  }
  sub->add_flag("--dry-run", args->dry_run, "print the script instead of submitting it");
  sub->add_option("--gpu", args->gpu, "the nodes' hardware for the memory estimate: h100-80gb, h200-141gb, a100-80gb "
                                      "or cpu (default: h100-80gb for a GPU job, else cpu)")
      ->check(CLI::IsMember({"h100-80gb", "h200-141gb", "a100-80gb", "cpu"}));
  sub->add_flag("--force", args->force, "submit even when `delrec plan` predicts the layout does not fit in memory");
  sub->callback([args] { submit(*args); });

  auto run_dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto* st = slurm->add_subcommand("status", "Show a run directory's steps, current stage and step, checkpoints, "
                                             "last metrics, results and job logs");
  st->add_option("run_dir", *run_dir, "Run directory (the recipe's run.out_dir)")->required();
  st->add_flag("--json", *json, "print the same as one JSON object");
  st->callback([run_dir, json] { status(*run_dir, *json); });
}

}  // namespace delrec::cli
