#include "core/run/pipeline.h"

#include <spdlog/spdlog.h>

#include "core/data/prepare.h"
#include "core/data/prepared_dataset.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace delrec::run {
namespace {

// The `data` section alone, as YAML: two prepared datasets are interchangeable when these texts are equal.
std::string data_section_text(const config::DataConfig& data) {
  config::Recipe only_data;
  only_data.data = data;
  only_data.data.prepared.clear();  // where the file lives does not change its content
  return config::dump_recipe(only_data);
}

data::Dataset prepare_step(const config::Recipe& recipe, const fs::path& path) {
  if (fs::exists(path)) {
    data::Dataset existing = data::load_prepared(path);
    config::Recipe made_by;
    try {
      made_by = config::parse_recipe(existing.recipe_yaml, path.string() + " (stored recipe)");
    } catch (const Error& e) {
      throw Error(fmt::format("{} was made by a recipe this version cannot read ({}); delete it or choose another "
                              "run.out_dir",
                              path.string(), e.what()));
    }
    DELREC_CHECK(data_section_text(made_by.data) == data_section_text(recipe.data),
                 "{} was prepared with a different `data` section than this recipe; delete it (or choose another "
                 "run.out_dir / data.prepared) to prepare the data again",
                 path.string());
    spdlog::info("prepare: {} exists ({} users, {} items), skipping", path.string(), existing.num_users(),
                 existing.num_items());
    return existing;
  }
  spdlog::info("prepare: reading {} data", recipe.data.dataset);
  data::Dataset dataset = data::prepare(recipe.data, config::dump_recipe(recipe));
  data::save_prepared(dataset, path);
  spdlog::info("prepare: wrote {} ({} users, {} items, {} interactions)", path.string(), dataset.num_users(),
               dataset.num_items(), dataset.num_interactions());
  return dataset;
}

}  // namespace

fs::path prepared_path(const config::Recipe& recipe) {
  return recipe.data.prepared.empty() ? fs::path(recipe.run.out_dir) / "data.h5" : fs::path(recipe.data.prepared);
}

PipelineResult run_pipeline(const config::Recipe& recipe) {
  PipelineResult result;
  result.run_dir = recipe.run.out_dir;
  fs::create_directories(result.run_dir);

  result.dataset = prepare_step(recipe, prepared_path(recipe));
  // Written once every existing output was found consistent with this recipe, so a refused run never replaces
  // the record of the run that made them.
  config::write_resolved_recipe(recipe, result.run_dir);
  return result;
}

}  // namespace delrec::run
