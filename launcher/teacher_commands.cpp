// `delrec teacher train|eval|cache`: train the conventional recommender DELRec distils from, report its quality,
// and cache its outputs for the LLM stages.
#include <spdlog/spdlog.h>

#include <iostream>
#include <memory>

#include "core/config/recipe.h"
#include "core/teacher/evaluate.h"
#include "core/teacher/teacher_cache.h"
#include "core/teacher/train.h"
#include "core/run/pipeline.h"
#include "core/run/teacher_steps.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/log.h"
#include "launcher/commands.h"
#include "parallel/world.h"

namespace fs = std::filesystem;

namespace delrec::cli {
namespace {

struct TeacherOptions {
  std::string recipe;
  std::vector<std::string> overrides;
  std::string checkpoint;  // eval, cache: overrides teacher.checkpoint
  std::string split = "test";
};

config::Recipe load(const TeacherOptions& o) {
  auto recipe = config::load_recipe(o.recipe, o.overrides);
  if (!o.checkpoint.empty()) recipe.teacher.checkpoint = o.checkpoint;
  if (recipe.teacher.threads > 0) torch::set_num_threads(int(recipe.teacher.threads));
  return recipe;
}

void run_train(const TeacherOptions& o) {
  auto recipe = load(o);
  const auto dataset = run::prepared_dataset(recipe);
  const fs::path out_dir = fs::path(recipe.run.out_dir) / "teacher";
  fs::create_directories(out_dir);
  config::write_resolved_recipe(recipe, out_dir);
  const auto checkpoint = teacher::default_checkpoint_path(recipe.teacher, recipe.run.out_dir);
  const auto outcome = teacher::train_teacher(dataset, recipe.teacher, uint64_t(recipe.run.seed), checkpoint,
                                              out_dir / (recipe.teacher.model + ".metrics.jsonl"));
  std::cout << fmt::format("trained {} for {} epochs ({:.2f} s/epoch); best validation NDCG@10 {:.4f} at epoch {}\n"
                           "checkpoint: {}\n",
                           recipe.teacher.model, outcome.epochs_run, outcome.seconds_per_epoch,
                           outcome.best_valid_ndcg10, outcome.best_epoch, checkpoint.string());
}

void run_eval(const TeacherOptions& o) {
  auto recipe = load(o);
  const auto dataset = run::prepared_dataset(recipe);
  const auto t = run::load_trained_teacher(recipe, dataset);
  const auto split = o.split == "valid" ? teacher::Split::kValid : teacher::Split::kTest;
  const auto evaluation = teacher::evaluate_teacher(t, dataset, split);
  const auto title = fmt::format("{} on {} ({} split, {} candidates per user)", recipe.teacher.model, dataset.name,
                                 teacher::to_string(split), dataset.test_candidates.at(0).size());
  std::cout << teacher::format_table(evaluation, title);
  const auto path = fs::path(recipe.run.out_dir) / "teacher" /
                    fmt::format("{}.eval.{}.json", recipe.teacher.model, teacher::to_string(split));
  auto j = teacher::to_json(evaluation);
  j["model"] = recipe.teacher.model;
  j["dataset"] = dataset.name;
  j["split"] = teacher::to_string(split);
  j["checkpoint_epoch"] = t.info().epoch;
  fs::create_directories(path.parent_path());
  write_file_atomically(path, j.dump(2) + "\n");
  std::cout << "written: " << path.string() << "\n";
}

void run_cache(const TeacherOptions& o) {
  parallel::World world;  // a world of one without mpirun: this process then writes every shard
  set_log_rank(world.rank(), world.size());
  auto recipe = load(o);
  const auto dataset = run::prepared_dataset(recipe);
  const auto t = run::load_trained_teacher(recipe, dataset);
  const auto manifest = run::write_teacher_cache(recipe, dataset, t, *world.group());
  if (world.rank() == 0)
    std::cout << fmt::format("teacher cache: {} examples (top {} items, {} candidates each) in {} shards: {}\n",
                             manifest.num_examples, manifest.top_k, manifest.num_candidates, manifest.shards.size(),
                             run::teacher_cache_dir(recipe).string());
}

CLI::App* add(CLI::App* group, const std::string& name, const std::string& help,
              const std::shared_ptr<TeacherOptions>& o) {
  CLI::App* cmd = group->add_subcommand(name, help);
  cmd->add_option("recipe", o->recipe, "recipe YAML")->required()->check(CLI::ExistingFile);
  cmd->add_option("overrides", o->overrides, "recipe overrides key.path=value, e.g. teacher.epochs=50");
  return cmd;
}

}  // namespace

void add_teacher_commands(CLI::App& app) {
  CLI::App* group = app.add_subcommand("teacher", "Train, evaluate and cache the teacher (SASRec, GRU4Rec, Caser)");
  group->require_subcommand(1);

  auto train = std::make_shared<TeacherOptions>();
  add(group, "train", "Train teacher.model on the prepared dataset; keeps the checkpoint with the best "
                      "validation NDCG@10", train)
      ->callback([train] { run_train(*train); });

  auto eval = std::make_shared<TeacherOptions>();
  auto* eval_cmd = add(group, "eval", "Evaluate the trained teacher on the fixed candidates and the full catalogue "
                                      "(table on stdout, JSON beside the checkpoint)", eval);
  eval_cmd->add_option("--checkpoint", eval->checkpoint, "checkpoint (default teacher.checkpoint)");
  eval_cmd->add_option("--split", eval->split, "valid or test")->check(CLI::IsMember({"valid", "test"}));
  eval_cmd->callback([eval] { run_eval(*eval); });

  auto cache = std::make_shared<TeacherOptions>();
  auto* cache_cmd = add(group, "cache", "Write the teacher's top-K items and candidate scores for every example "
                                        "into sharded HDF5 files (one shard per MPI rank)", cache);
  cache_cmd->add_option("--checkpoint", cache->checkpoint, "checkpoint (default teacher.checkpoint)");
  cache_cmd->callback([cache] { run_cache(*cache); });
}

}  // namespace delrec::cli
