#pragma once
// The results table of a run on the test split's fixed candidates: the teacher (its cached scores), the LLM with
// stage 2 but no soft prompt (the ablation), and DELRec (soft prompt + adapter). HR@1, HR@5, NDCG@5, HR@10,
// NDCG@10, printed as a table and written as eval/results.json and eval/results.md.
#include <filesystem>
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
  eval::RankingMetrics metrics;
};

struct RunResults {
  std::string dataset;
  int64_t users = 0, candidates = 0;
  std::vector<ResultRow> rows;
};

// Evaluates every finished part of the run (rows whose outputs are missing are left out). Collective.
RunResults evaluate_run(const config::Recipe& recipe, const data::Dataset& dataset, const teacher::CacheBatch& cache,
                        const parallel::ParallelGroups& groups);

std::string format_results(const RunResults& results);  // aligned text table
std::string results_markdown(const RunResults& results);
nlohmann::json results_json(const RunResults& results);
// eval/results.json and eval/results.md, atomically.
void write_results(const RunResults& results, const std::filesystem::path& eval_dir);

}  // namespace delrec::stages
