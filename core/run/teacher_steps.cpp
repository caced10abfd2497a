#include "core/run/teacher_steps.h"

#include <spdlog/spdlog.h>

#include "core/run/provenance.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/fault_injection.h"

namespace fs = std::filesystem;

namespace delrec::run {

fs::path teacher_cache_dir(const config::Recipe& recipe) {
  return recipe.teacher.cache_dir.empty() ? fs::path(recipe.run.out_dir) / "teacher_cache"
                                          : fs::path(recipe.teacher.cache_dir);
}

teacher::Teacher load_trained_teacher(const config::Recipe& recipe, const data::Dataset& dataset) {
  const auto path = teacher::default_checkpoint_path(recipe.teacher, recipe.run.out_dir);
  auto t = teacher::Teacher::load(path);
  DELREC_CHECK(t.info().dataset_fingerprint == dataset.fingerprint,
               "teacher checkpoint {} was trained on dataset '{}' (fingerprint {}), not on '{}' (fingerprint {}); "
               "retrain it with `delrec teacher train RECIPE`",
               path.string(), t.info().dataset_name, t.info().dataset_fingerprint.substr(0, 16), dataset.name,
               dataset.fingerprint.substr(0, 16));
  return t;
}

teacher::CacheManifest write_teacher_cache(const config::Recipe& recipe, const data::Dataset& dataset,
                                           const teacher::Teacher& t, parallel::Communicator& world) {
  const fs::path dir = teacher_cache_dir(recipe);
  const int64_t shards = recipe.teacher.cache_shards > 0 ? recipe.teacher.cache_shards : world.size();
  teacher::CacheSpec spec{recipe.teacher.top_k, recipe.teacher.cache_train_prefixes, uint64_t(recipe.data.seed),
                          file_sha256(teacher::default_checkpoint_path(recipe.teacher, recipe.run.out_dir))};
  fail_point("teacher_cache_write");
  for (int64_t s = world.rank(); s < shards; s += world.size()) {
    teacher::write_cache_shard(t, dataset, spec, s, shards, dir);
    spdlog::info("teacher cache: wrote {}", (dir / teacher::shard_file_name(s, shards)).string());
  }
  world.barrier();
  if (world.rank() == 0) teacher::write_cache_manifest(t, dataset, spec, shards, dir);
  world.barrier();
  return teacher::TeacherCacheReader(dir, dataset.fingerprint, dataset.num_items()).manifest();
}

}  // namespace delrec::run
