#pragma once
// Teacher evaluation on the prepared dataset's validation or test examples: ranks of the true item among the fixed
// candidates (column 0 of the candidate rows) and among the whole catalogue (the history's items left out, as in
// SASRec's full ranking), with ties ranked pessimistically (core/eval/metrics.h).
#include <nlohmann/json.hpp>

#include <string>

#include "core/data/dataset.h"
#include "core/eval/metrics.h"
#include "core/teacher/teacher.h"

namespace delrec::teacher {

enum class Split { kValid, kTest };
const char* to_string(Split split);

struct TeacherEvaluation {
  eval::RankingMetrics candidates;  // over each user's fixed candidate row
  eval::RankingMetrics full;        // over all items (count 0 when not computed)
};

// The metric cut-offs reported everywhere: HR@1, HR@5, NDCG@5, HR@10, NDCG@10 (and MRR).
inline const std::vector<int64_t> kReportedCutoffs = {1, 5, 10};

// Evaluates every user's `split` example. Histories are batched by length (eval_batch_size per batch).
TeacherEvaluation evaluate_teacher(const Teacher& teacher, const data::Dataset& dataset, Split split,
                                   bool full_catalogue = true);

// {"candidates": {"count", "HR@1", ..., "NDCG@10", "MRR"}, "full": {...}}
nlohmann::json to_json(const TeacherEvaluation& evaluation);

// A small table: one row per ranking (candidates, full catalogue), columns HR@1 HR@5 NDCG@5 HR@10 NDCG@10 MRR.
std::string format_table(const TeacherEvaluation& evaluation, const std::string& title);

}  // namespace delrec::teacher
