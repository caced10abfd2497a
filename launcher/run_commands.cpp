// `delrec run RECIPE [key.path=value ...]`, `delrec quickstart` and `delrec eval RUN_DIR`: run a recipe's pipeline
// in its run directory (and write its report), or evaluate a finished one again.
#include <spdlog/spdlog.h>

#include <iostream>

#include "core/config/embedded_files.h"
#include "core/config/recipe.h"
#include "core/data/dataset_stats.h"
#include "core/delrec/backbone.h"
#include "core/delrec/run_layout.h"
#include "core/plan/plan.h"
#include "core/report/report_page.h"
#include "core/run/pipeline.h"
#include "core/train/stop_request.h"
#include "core/util/log.h"
#include "launcher/commands.h"

namespace delrec::cli {
namespace {

void print_results(const stages::RunResults& results, const std::filesystem::path& run_dir) {
  std::cout << "\n" << stages::format_results(results);
  std::cout << "results: " << (run_dir / "eval" / "results.md").string() << " and results.json\n";
}

// The estimate of `delrec plan` for this world's layout, before any weight is read: a layout predicted not to fit
// is refused (unless --force) instead of running out of memory after the teacher and the loading.
void check_layout(const config::Recipe& recipe, const parallel::World& world) {
  const int tp = stages::tensor_parallel_size(recipe);
  if (tp < 1 || world.size() % tp != 0) return;  // the pipeline names this error itself
  const parallel::World::Nodes nodes = world.nodes();
  plan::Request req;
  req.hw = plan::hardware_here(parallel::select_device());
  req.nodes = static_cast<int64_t>(nodes.node_names.size());
  req.gpus_per_node = std::max<int64_t>(1, world.size() / req.nodes);
  plan::check_fits(recipe, req, tp, world.size() / tp);
}

void run_recipe(const config::Recipe& recipe, bool force) {
  parallel::World world;  // a world of one without mpirun
  set_log_rank(world.rank(), world.size());
  if (!force) check_layout(recipe, world);
  // checkpoint.requeue_signals (SIGTERM, SIGUSR1) / SIGINT: save at the next step boundary and exit 75 or 130.
  train::install_stop_handlers(recipe.checkpoint.requeue_signals);
  const auto result = run::run_pipeline(recipe, world);
  if (world.rank() != 0) return;
  std::cout << data::format_stats(result.dataset, data::compute_stats(result.dataset));
  std::cout << "run directory: " << result.run_dir.string() << "\n";
  print_results(result.results, result.run_dir);
  if (!recipe.logging.report) return;
  // The page only shows what the run wrote: failing to write it does not fail a finished run.
  const std::filesystem::path page = stages::RunLayout(recipe).report();
  try {
    report::write_report({result.run_dir}, page);
    std::cout << "report: " << page.string() << "\n";
  } catch (const std::exception& e) {
    spdlog::warn("report: {} (the run's outputs are complete; `delrec report {}` tries again)", e.what(),
                 result.run_dir.string());
  }
}

}  // namespace

void add_run_commands(CLI::App& app) {
  auto* run = app.add_subcommand("run", "Run every step of a recipe whose outputs are missing (prepare, teacher, "
                                        "cache, stage 1, stage 2, evaluation)");
  auto recipe_path = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  run->add_option("recipe", *recipe_path, "Recipe YAML file (see recipes/)")->required();
  run->add_option("overrides", *overrides, "key.path=value overrides, e.g. data.num_candidates=50");
  auto force = std::make_shared<bool>(false);
  run->add_flag("--force", *force, "run even when `delrec plan` predicts the layout does not fit in memory");
  run->callback([=] { run_recipe(config::load_recipe(*recipe_path, *overrides), *force); });

  auto* quick = app.add_subcommand("quickstart", "Run the embedded quickstart recipe end to end, offline (synthetic "
                                                 "data, a small teacher, a small LLM built from scratch)");
  auto quick_overrides = std::make_shared<std::vector<std::string>>();
  quick->add_option("overrides", *quick_overrides, "key.path=value overrides, e.g. run.out_dir=/tmp/q");
  quick->callback([=] {
    config::Recipe recipe = config::parse_recipe(config::kQuickstartRecipe, "<embedded quickstart>", *quick_overrides);
    spdlog::info("quickstart: writing to {}", recipe.run.out_dir);
    run_recipe(recipe, false);
  });

  auto* eval = app.add_subcommand("eval", "Evaluate a finished run directory again (DELRec, its ablations and the "
                                          "teacher on the test split) and rewrite eval/results.{json,md}");
  auto run_dir = std::make_shared<std::string>();
  eval->add_option("run_dir", *run_dir, "run directory (holds recipe.resolved.yaml)")->required();
  eval->callback([=] {
    parallel::World world;
    set_log_rank(world.rank(), world.size());
    const auto results = run::evaluate_run_dir(*run_dir, world);
    if (world.rank() == 0) print_results(results, *run_dir);
  });
}

}  // namespace delrec::cli
