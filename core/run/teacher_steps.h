#pragma once
// The teacher's steps of a run, shared by `delrec teacher cache` and `delrec run`.
#include <filesystem>

#include "core/config/recipe.h"
#include "core/data/dataset.h"
#include "core/teacher/teacher.h"
#include "core/teacher/teacher_cache.h"
#include "parallel/communicator.h"

namespace delrec::run {

// teacher.cache_dir, or <run.out_dir>/teacher_cache.
std::filesystem::path teacher_cache_dir(const config::Recipe& recipe);

// Loads the recipe's teacher checkpoint and checks it was trained on `dataset` (the error says how to retrain).
teacher::Teacher load_trained_teacher(const config::Recipe& recipe, const data::Dataset& dataset);

// Every rank of `world` writes its shards (teacher.cache_shards, default one per rank); rank 0 then writes the
// manifest. Collective. Returns the manifest (on every rank).
teacher::CacheManifest write_teacher_cache(const config::Recipe& recipe, const data::Dataset& dataset,
                                           const teacher::Teacher& teacher, parallel::Communicator& world);

}  // namespace delrec::run
