// `delrec data prepare` and `delrec data stats`: raw dataset -> prepared HDF5 file, and its summary.
#include <fmt/ranges.h>

#include <algorithm>
#include <iostream>

#include "core/config/recipe.h"
#include "core/data/dataset_stats.h"
#include "core/data/prepare.h"
#include "core/data/prepared_dataset.h"
#include "core/util/error.h"
#include "launcher/commands.h"

namespace fs = std::filesystem;

namespace delrec::cli {
namespace {

struct PrepareOptions {
  std::string dataset, source, out, recipe;
  std::vector<std::string> overrides;
};

void run_prepare(const PrepareOptions& o) {
  config::Recipe recipe = config::load_recipe(o.recipe, o.overrides);
  // The flags are shorthands for data.dataset, data.source and data.prepared; they win over the recipe.
  if (!o.dataset.empty()) {
    const auto& names = data::supported_datasets();
    if (std::find(names.begin(), names.end(), o.dataset) == names.end())
      throw UsageError(fmt::format("--dataset {}: unknown dataset; supported: {}", o.dataset, fmt::join(names, ", ")));
    recipe.data.dataset = o.dataset;
  }
  if (!o.source.empty()) recipe.data.source = o.source;
  if (!o.out.empty()) recipe.data.prepared = o.out;
  if (recipe.data.prepared.empty()) recipe.data.prepared = (fs::path(recipe.run.out_dir) / "data.h5").string();
  if (recipe.data.dataset != "synthetic" && recipe.data.source.empty())
    throw UsageError(
        fmt::format("dataset '{}' needs --source DIR|FILE (or data.source in the recipe)", recipe.data.dataset));

  data::Dataset dataset = data::prepare(recipe.data, config::dump_recipe(recipe));
  data::save_prepared(dataset, recipe.data.prepared);
  std::cout << data::format_stats(dataset, data::compute_stats(dataset)) << "written: " << recipe.data.prepared << "\n";
}

void run_stats(const std::string& path) {
  data::Dataset dataset = data::load_prepared(path);
  std::cout << data::format_stats(dataset, data::compute_stats(dataset));
}

}  // namespace

void add_data_commands(CLI::App& app) {
  CLI::App* data = app.add_subcommand("data", "Prepare raw datasets and inspect prepared ones");
  data->require_subcommand(1);

  auto prepare_options = std::make_shared<PrepareOptions>();
  CLI::App* prepare = data->add_subcommand(
      "prepare", "Read a raw dataset, split it (leave-one-out) and sample fixed candidates into one HDF5 file");
  prepare->add_option(
      "--dataset", prepare_options->dataset,
      "raw format: " + fmt::format("{}", fmt::join(data::supported_datasets(), ", ")) + " (= data.dataset)");
  prepare->add_option("--source", prepare_options->source, "raw dataset directory or file (= data.source)");
  prepare->add_option("--out", prepare_options->out,
                      "prepared dataset file (= data.prepared; default <run.out_dir>/data.h5)");
  prepare->add_option("--recipe", prepare_options->recipe, "recipe YAML; its data section sets the processing")
      ->check(CLI::ExistingFile);
  prepare->add_option("overrides", prepare_options->overrides,
                      "recipe overrides key.path=value, e.g. data.kcore=5 data.num_candidates=100");
  prepare->callback([prepare_options] { run_prepare(*prepare_options); });

  auto stats_path = std::make_shared<std::string>();
  CLI::App* stats = data->add_subcommand(
      "stats", "Print users, items, interactions, sequence-length percentiles and density of a prepared dataset");
  stats->add_option("file", *stats_path, "prepared dataset (.h5)")->required();
  stats->callback([stats_path] { run_stats(*stats_path); });
}

}  // namespace delrec::cli
