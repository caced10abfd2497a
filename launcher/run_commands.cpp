// `delrec run RECIPE [key.path=value ...]` and `delrec quickstart`: run a recipe's pipeline in its run directory.
#include <spdlog/spdlog.h>

#include <iostream>

#include "core/config/embedded_files.h"
#include "core/config/recipe.h"
#include "core/data/dataset_stats.h"
#include "core/run/pipeline.h"
#include "launcher/commands.h"

namespace delrec::cli {
namespace {

void print_summary(const run::PipelineResult& result) {
  std::cout << data::format_stats(result.dataset, data::compute_stats(result.dataset));
  std::cout << "run directory: " << result.run_dir.string() << "\n";
}

}  // namespace

void add_run_commands(CLI::App& app) {
  auto* run = app.add_subcommand("run", "Run every step of a recipe whose outputs are missing");
  auto recipe_path = std::make_shared<std::string>();
  auto overrides = std::make_shared<std::vector<std::string>>();
  run->add_option("recipe", *recipe_path, "Recipe YAML file (see recipes/)")->required();
  run->add_option("overrides", *overrides, "key.path=value overrides, e.g. data.num_candidates=50");
  run->callback([=] { print_summary(run::run_pipeline(config::load_recipe(*recipe_path, *overrides))); });

  auto* quick = app.add_subcommand("quickstart",
                                   "Run the embedded quickstart recipe end to end (synthetic data, offline)");
  auto quick_overrides = std::make_shared<std::vector<std::string>>();
  quick->add_option("overrides", *quick_overrides, "key.path=value overrides, e.g. run.out_dir=/tmp/q");
  quick->callback([=] {
    config::Recipe recipe = config::parse_recipe(config::kQuickstartRecipe, "<embedded quickstart>", *quick_overrides);
    spdlog::info("quickstart: writing to {}", recipe.run.out_dir);
    print_summary(run::run_pipeline(recipe));
  });
}

}  // namespace delrec::cli
