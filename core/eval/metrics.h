#pragma once
// Ranking metrics for next-item prediction with one relevant item per example: HR@k, NDCG@k and MRR.
//
// Ties are ranked pessimistically: every other item whose score is >= the target's score counts as ranked above
// the target, so rank = 1 + #{j != target : score_j >= score_target}. A model that gives every item the same score
// therefore gets the worst rank, never a lucky one, and candidate column order cannot matter.
//
// Two ways to rank:
//   candidate_ranks: scores [N, C] over each example's fixed candidates (data/candidates.h), target in column 0.
//   full_ranks:      scores [N, num_items + 1] over the whole catalogue; column 0 (padding) never ranks, and items
//                    in an optional per-example exclusion list (usually the history, as SASRec's full ranking does)
//                    are left out, except the target itself.
// Scores may live on any device; NaN scores are an error.
#include <torch/torch.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace delrec::eval {

// [N] int64 ranks (1 = best) of column 0 in scores [N, C].
torch::Tensor candidate_ranks(const torch::Tensor& scores);

// [N] int64 ranks of targets [N] (ids 1..num_items) in scores [N, num_items + 1]. `exclude`, when given, has N rows
// of item ids that are not ranked (the target is always ranked).
torch::Tensor full_ranks(const torch::Tensor& scores, const torch::Tensor& targets,
                         const std::vector<std::vector<int64_t>>* exclude = nullptr);

struct RankingMetrics {
  int64_t count = 0;               // examples
  std::map<int64_t, double> hr;    // k -> mean of [rank <= k]
  std::map<int64_t, double> ndcg;  // k -> mean of [rank <= k] / log2(rank + 1)
  double mrr = 0;                  // mean of 1 / rank (no cut-off)
};

// Means over ranks [N] (from either function above, possibly concatenated over batches) for each k in ks.
RankingMetrics ranking_metrics(const torch::Tensor& ranks, const std::vector<int64_t>& ks = {1, 5, 10});

// "HR@1 0.1234  HR@5 ...  NDCG@5 ...  MRR 0.2345  (N examples)"
std::string format_metrics(const RankingMetrics& metrics);

}  // namespace delrec::eval
