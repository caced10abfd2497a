// `delrec plan RECIPE [key.path=value ...] [--nodes N] [--gpus-per-node G] [--gpu KIND] [--json]`: per-rank memory
// and step time of every TP x DP layout, from the backbone's config.json alone (core/plan/plan.h, docs/plan.md).
#include <iostream>

#include "core/config/recipe.h"
#include "core/plan/plan.h"
#include "launcher/commands.h"

namespace delrec::cli {

void add_plan_commands(CLI::App& app) {
  struct Args {
    std::string recipe, gpu;
    std::vector<std::string> overrides;
    int64_t nodes = 0, gpus_per_node = 0, tokens = 0, items = 0;
    bool json = false;
  };
  auto a = std::make_shared<Args>();
  auto* plan = app.add_subcommand("plan", "Estimate per-rank memory and step time of every tensor x data-parallel "
                                          "layout of a recipe from its backbone's config.json (no weights read), "
                                          "and recommend one");
  plan->add_option("recipe", a->recipe, "Recipe YAML file")->required();
  plan->add_option("overrides", a->overrides, "key.path=value overrides, e.g. backbone.path=DIR");
  plan->add_option("--nodes", a->nodes, "nodes (default: slurm.nodes)")->check(CLI::PositiveNumber);
  plan->add_option("--gpus-per-node", a->gpus_per_node,
                   "GPUs (ranks) per node (default: slurm.gpus_per_node, or slurm.ranks_per_node on a CPU)")
      ->check(CLI::PositiveNumber);
  plan->add_option("--gpu", a->gpu, "hardware: h100-80gb, h200-141gb, a100-80gb or cpu (default: h100-80gb when "
                                    "slurm.gpus_per_node > 0, else cpu)")
      ->check(CLI::IsMember({"h100-80gb", "h200-141gb", "a100-80gb", "cpu"}));
  plan->add_option("--tokens-per-example", a->tokens, "prompt length in tokens (default: estimated from the recipe)")
      ->check(CLI::PositiveNumber);
  plan->add_option("--items", a->items, "catalogue size for the teacher's estimate (default: 1682)")
      ->check(CLI::PositiveNumber);
  plan->add_flag("--json", a->json, "print one JSON object: {\"layouts\": [...], \"recommended\": {...}}");
  plan->callback([a] {
    const config::Recipe recipe = config::load_recipe(a->recipe, a->overrides);
    plan::Request req;
    const bool gpu_job = recipe.slurm.gpus_per_node > 0;
    req.hw = plan::hardware(!a->gpu.empty() ? a->gpu : gpu_job ? "h100-80gb" : "cpu");
    req.nodes = a->nodes > 0 ? a->nodes : recipe.slurm.nodes;
    req.gpus_per_node = a->gpus_per_node > 0 ? a->gpus_per_node : recipe.slurm.tasks_per_node();
    req.tokens_per_example = a->tokens;
    req.teacher_items = a->items;
    const plan::Plan p = plan::make_plan(recipe, req);
    if (a->json)
      std::cout << plan::plan_json(p).dump(2) << "\n";
    else
      std::cout << plan::format_plan(p);
  });
}

}  // namespace delrec::cli
