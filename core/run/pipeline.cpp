#include "core/run/pipeline.h"

#include <spdlog/spdlog.h>

#include "core/data/prepare.h"
#include "core/data/prepared_dataset.h"
#include "core/delrec/backbone.h"
#include "core/delrec/run_layout.h"
#include "core/delrec/soft_prompt.h"
#include "core/delrec/stages.h"
#include "core/run/output_provenance.h"
#include "core/run/placement.h"
#include "core/run/teacher_steps.h"
#include "core/tensorboard/summary_writer.h"
#include "core/teacher/train.h"
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

}  // namespace

data::Dataset prepared_dataset(const config::Recipe& recipe) {
  const fs::path path = prepared_path(recipe);
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

namespace {

// Loads the dataset on every rank; rank 0 prepares it first when it is missing.
data::Dataset dataset_step(const config::Recipe& recipe, parallel::ProcessGroup& world) {
  const fs::path path = prepared_path(recipe);
  if (world.rank() == 0) {
    data::Dataset d = prepared_dataset(recipe);
    world.barrier();
    return d;
  }
  world.barrier();
  return data::load_prepared(path);
}

// The outputs after the teacher's, which a refused one asks to delete too.
std::vector<fs::path> llm_outputs(const config::Recipe& recipe) {
  const stages::RunLayout layout(recipe);
  return {layout.stage1(),           layout.stage2(),           layout.ablation(),
          layout.stage1_without("ta"), layout.stage2_without("ta"), layout.stage1_without("rps"),
          layout.stage2_without("rps"), layout.eval()};
}

void teacher_step(const config::Recipe& recipe, const data::Dataset& dataset, parallel::ProcessGroup& world) {
  const fs::path checkpoint = teacher::default_checkpoint_path(recipe.teacher, recipe.run.out_dir);
  const fs::path cache = teacher_cache_dir(recipe);
  std::vector<fs::path> after_teacher = llm_outputs(recipe);
  after_teacher.insert(after_teacher.begin(), cache);
  const Provenance made_from = teacher_provenance(recipe, dataset);
  check_provenance(checkpoint, made_from, after_teacher);
  // A cache from another teacher (teacher.model changed: another checkpoint file) is refused before training one.
  const fs::path manifest = cache / "manifest.json";
  check_provenance(manifest, Provenance{teacher_cache_recipe_keys(recipe), {}}, llm_outputs(recipe), true);
  if (fs::exists(checkpoint)) {
    spdlog::info("teacher: {} exists, skipping training", checkpoint.string());
  } else if (world.rank() == 0) {
    if (recipe.teacher.threads > 0) torch::set_num_threads(int(recipe.teacher.threads));
    const fs::path dir = checkpoint.parent_path();
    fs::create_directories(dir);
    write_provenance(checkpoint, made_from);
    // The best checkpoint is kept aside until training ends: an existing checkpoint always means a finished
    // teacher, so a job killed mid-training trains again instead of using a half-trained one.
    fs::path partial = checkpoint;
    partial += ".partial";
    const fs::path events = recipe.logging.tensorboard ? stages::RunLayout(recipe).tensorboard("teacher") : fs::path();
    const auto outcome = teacher::train_teacher(dataset, recipe.teacher, uint64_t(recipe.run.seed), partial,
                                                dir / (recipe.teacher.model + ".metrics.jsonl"), events);
    fs::rename(partial, checkpoint);
    spdlog::info("teacher: {} trained for {} epochs, best validation NDCG@10 {:.4f}", recipe.teacher.model,
                 outcome.epochs_run, outcome.best_valid_ndcg10);
  }
  world.barrier();
  const Provenance cache_made_from = teacher_cache_provenance(recipe, dataset, checkpoint);
  check_provenance(manifest, cache_made_from, llm_outputs(recipe));
  if (fs::exists(manifest)) {
    spdlog::info("teacher cache: {} exists, skipping", cache.string());
    return;
  }
  if (world.rank() == 0) write_provenance(manifest, cache_made_from);
  write_teacher_cache(recipe, dataset, load_trained_teacher(recipe, dataset), world);
}

}  // namespace

teacher::TeacherCacheReader open_cache(const config::Recipe& recipe, const data::Dataset& dataset) {
  return teacher::TeacherCacheReader(teacher_cache_dir(recipe), dataset.fingerprint, dataset.num_items());
}

namespace {

// What the LLM stages train on: the dataset and the teacher checkpoint whose cache they read.
std::string inputs_fingerprint(const data::Dataset& dataset, const teacher::TeacherCacheReader& cache) {
  return "dataset " + dataset.fingerprint + " teacher " + cache.manifest().checkpoint_sha256;
}

void ensure_backbone_with_provenance(const config::Recipe& recipe, const data::Dataset& dataset,
                                     const parallel::ParallelGroups& groups) {
  if (recipe.backbone.path.empty()) {
    const fs::path dir = stages::backbone_dir(recipe);
    const Provenance made_from = scratch_backbone_provenance(recipe, dataset);
    check_provenance(dir, made_from, llm_outputs(recipe));
    if (!fs::exists(dir) && groups.world->rank() == 0) write_provenance(dir, made_from);
  }
  stages::ensure_backbone(recipe, dataset, groups);
}

void llm_steps(const config::Recipe& recipe, const data::Dataset& dataset, const teacher::TeacherCacheReader& cache,
               const parallel::ParallelGroups& groups) {
  const stages::RunLayout layout(recipe);
  ensure_backbone_with_provenance(recipe, dataset, groups);
  const LlmInputs read{file_sha256(teacher_cache_dir(recipe) / "manifest.json"),
                       backbone_digest(stages::backbone_dir(recipe))};
  // Each stage checks its output's record, writes it before training, and ties its in-stage checkpoints to it.
  auto start = [&](const fs::path& output, const Provenance& made_from, const std::vector<fs::path>& made_from_it) {
    check_provenance(output, made_from, made_from_it);
    const bool skip = fs::exists(output);
    if (!skip && groups.world->rank() == 0) write_provenance(output, made_from);
    groups.world->barrier();
    return skip;
  };
  auto inputs = [&](const Provenance& made_from) {
    return stages::StageInputs{recipe, dataset, cache, groups,
                               inputs_fingerprint(dataset, cache) + " " + provenance_digest(made_from)};
  };

  // Stage 1 then stage 2 on its soft prompt, into `stage1_dir` and `stage2_dir`; `tasks` names an ablation's
  // stage-1 tasks (empty = both).
  auto delrec_stages = [&](const fs::path& stage1_dir, const fs::path& stage2_dir, stages::Stage1Tasks tasks,
                           const std::string& tasks_name, const std::string& what) {
    const fs::path soft_prompt = stage1_dir / "soft_prompt.safetensors", adapter = stage2_dir / "adapter";
    const Provenance stage1 = llm_stage_provenance(recipe, dataset, "stage1", read, {}, tasks_name);
    if (start(soft_prompt, stage1, {stage2_dir, layout.eval()})) {
      spdlog::info("stage 1{}: {} exists, skipping", what, soft_prompt.string());
    } else {
      stages::Backbone backbone = stages::load_backbone(recipe, groups);
      stages::run_stage1(inputs(stage1), backbone, stage1_dir, tasks);
    }
    const Provenance stage2 = llm_stage_provenance(recipe, dataset, "stage2", read, soft_prompt, tasks_name);
    if (start(adapter, stage2, {layout.eval()})) {
      spdlog::info("stage 2{}: {} exists, skipping", what, adapter.string());
    } else {
      stages::Backbone backbone = stages::load_backbone(recipe, groups);
      const torch::Tensor soft = stages::load_soft_prompt(soft_prompt, backbone.model);
      stages::run_stage2(inputs(stage2), backbone, soft, stage2_dir);
    }
  };
  delrec_stages(layout.stage1(), layout.stage2(), stages::Stage1Tasks::kBoth, "", "");
  if (recipe.eval.runs("no_ta"))
    delrec_stages(layout.stage1_without("ta"), layout.stage2_without("ta"), stages::Stage1Tasks::kRpsOnly, "rps",
                  " without TA");
  if (recipe.eval.runs("no_rps"))
    delrec_stages(layout.stage1_without("rps"), layout.stage2_without("rps"), stages::Stage1Tasks::kTemporalOnly,
                  "ta", " without RPS");
  if (!recipe.eval.runs("no_soft_prompt")) return;
  const Provenance ablation = llm_stage_provenance(recipe, dataset, "stage2", read, {});
  if (start(layout.ablation_adapter(), ablation, {layout.eval()})) {
    spdlog::info("stage 2 without soft prompt: {} exists, skipping", layout.ablation_adapter().string());
  } else {
    stages::Backbone backbone = stages::load_backbone(recipe, groups);
    stages::run_stage2(inputs(ablation), backbone, torch::Tensor(), layout.ablation());
  }
}

stages::RunResults evaluation_step(const config::Recipe& recipe, const data::Dataset& dataset,
                                   const teacher::TeacherCacheReader& cache, const parallel::ParallelGroups& groups) {
  stages::RunResults results = stages::evaluate_run(recipe, dataset, cache, groups);
  const stages::RunLayout layout(recipe);
  if (groups.world->rank() == 0) {
    stages::write_results(results, layout.eval());
    if (recipe.logging.tensorboard) {
      fs::remove_all(layout.tensorboard("eval"));
      tensorboard::SummaryWriter(layout.tensorboard("eval"), 0).text("results", 0, stages::results_markdown(results));
    }
  }
  groups.world->barrier();
  return results;
}

}  // namespace

fs::path prepared_path(const config::Recipe& recipe) {
  return recipe.data.prepared.empty() ? fs::path(recipe.run.out_dir) / "data.h5" : fs::path(recipe.data.prepared);
}

PipelineResult run_pipeline(const config::Recipe& recipe, const parallel::World& world, Until until) {
  PipelineResult result;
  result.run_dir = recipe.run.out_dir;
  fs::create_directories(result.run_dir);
  parallel::ProcessGroup& all = *world.group();
  result.dataset = dataset_step(recipe, all);
  // Written once every existing output was found consistent with this recipe, so a refused run never replaces
  // the record of the run that made them.
  if (world.rank() == 0) config::write_resolved_recipe(recipe, result.run_dir);
  if (until == Until::kPrepare) return result;

  // Where every rank runs goes on record first (logs/placement.json, `delrec slurm status`); then a layout whose TP
  // groups would span nodes is refused, before any weight is read.
  const int tp = stages::tensor_parallel_size(recipe);
  const parallel::World::Nodes nodes = world.nodes();
  if (world.rank() == 0) record_placement(result.run_dir, nodes, tp);
  const auto groups = parallel::make_parallel_groups(world, tp, nodes);
  teacher_step(recipe, result.dataset, all);
  if (until == Until::kTeacher) {
    ensure_backbone_with_provenance(recipe, result.dataset, groups);
    return result;
  }
  const teacher::TeacherCacheReader cache = open_cache(recipe, result.dataset);
  llm_steps(recipe, result.dataset, cache, groups);
  result.results = evaluation_step(recipe, result.dataset, cache, groups);
  return result;
}

stages::RunResults evaluate_run_dir(const fs::path& run_dir, const parallel::World& world) {
  const fs::path recipe_file = run_dir / "recipe.resolved.yaml";
  DELREC_CHECK(fs::exists(recipe_file), "{} has no recipe.resolved.yaml: not a delrec run directory (run `delrec run "
               "RECIPE` first)", run_dir.string());
  config::Recipe recipe = config::load_recipe(recipe_file);
  recipe.run.out_dir = run_dir.string();  // the directory may have moved since the run
  const data::Dataset dataset = data::load_prepared(prepared_path(recipe));
  const auto groups = parallel::make_parallel_groups(world, stages::tensor_parallel_size(recipe));
  const teacher::TeacherCacheReader cache = open_cache(recipe, dataset);
  return evaluation_step(recipe, dataset, cache, groups);
}

}  // namespace delrec::run
