#pragma once
// The results table of a run on the test split's fixed candidates, one row per model (eval.ablations):
//
//   DELRec                          the stage-1 soft prompt and the stage-2 adapter
//   w/o TA, w/o RPS                 stage 1 on one task, then stage 2 (stage1_no_*/, stage2_no_*/)
//   w/o soft prompt (stage 2 only)  the adapter trained without a soft prompt
//   w/o stage 2 (frozen LLM)        the distilled soft prompt on the backbone as it is
//   LLM zero-shot                   the backbone as it is
//   <teacher> (teacher)             its cached scores
//
// HR@1, HR@5, NDCG@5, HR@10, NDCG@10, printed as a table and written as eval/results.json and eval/results.md,
// with how often each run's RPS target was the true next item.
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/config/recipe.h"
#include "core/data/dataset.h"
#include "core/eval/metrics.h"
#include "core/teacher/teacher_cache.h"
#include "parallel/parallel_groups.h"

namespace delrec::stages {

struct ResultRow {
  std::string model;
  std::string id;  // "delrec", an eval.ablations name or "teacher"
  eval::RankingMetrics metrics;
};

struct RunResults {
  std::string dataset;
  int64_t users = 0, candidates = 0;
  std::vector<ResultRow> rows;
  // stage1*/rps_targets.json of each run whose stage 1 trained RPS, by row id: its content.
  std::map<std::string, nlohmann::json> rps_targets;
};

// Evaluates every finished part of the run (rows whose outputs are missing are left out). Collective.
RunResults evaluate_run(const config::Recipe& recipe, const data::Dataset& dataset, const teacher::TeacherCacheReader& cache,
                        const parallel::ParallelGroups& groups);

std::string format_results(const RunResults& results);  // aligned text table
std::string results_markdown(const RunResults& results);
nlohmann::json results_json(const RunResults& results);
// eval/results.json and eval/results.md, atomically.
void write_results(const RunResults& results, const std::filesystem::path& eval_dir);

}  // namespace delrec::stages
