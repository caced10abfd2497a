#include "core/eval/metrics.h"

#include <fmt/format.h>

#include "core/util/error.h"

namespace delrec::eval {
namespace {

void check_scores(const torch::Tensor& scores, int64_t min_columns) {
  DELREC_CHECK(scores.dim() == 2, "scores must have shape [N, columns], got {} dimensions", scores.dim());
  DELREC_CHECK(scores.size(1) >= min_columns, "scores have {} columns, need at least {}", scores.size(1), min_columns);
  DELREC_CHECK(!torch::isnan(scores).any().item<bool>(), "scores contain NaN; cannot rank");
}

}  // namespace

torch::Tensor candidate_ranks(const torch::Tensor& scores) {
  check_scores(scores, 1);
  torch::Tensor target = scores.select(1, 0).unsqueeze(1);  // [N, 1]
  // The target column compares >= with itself, which supplies the "1 +".
  return (scores >= target).sum(1).to(torch::kInt64);
}

torch::Tensor full_ranks(const torch::Tensor& scores, const torch::Tensor& targets,
                         const std::vector<std::vector<int64_t>>* exclude) {
  check_scores(scores, 2);
  const int64_t n = scores.size(0), num_items = scores.size(1) - 1;
  DELREC_CHECK(targets.dim() == 1 && targets.size(0) == n,
               "targets must have shape [{}], got {} dimensions and {} elements", n, targets.dim(), targets.numel());
  torch::Tensor t = targets.to(torch::kCPU, torch::kInt64);
  DELREC_CHECK(n == 0 || (t.min().item<int64_t>() >= 1 && t.max().item<int64_t>() <= num_items),
               "target ids must lie in 1..{}", num_items);

  // ranked [N, num_items + 1]: which columns take part in the ranking.
  torch::Tensor ranked = torch::ones({n, num_items + 1}, torch::kBool);
  ranked.select(1, 0).fill_(false);
  if (exclude) {
    DELREC_CHECK(static_cast<int64_t>(exclude->size()) == n, "exclude has {} rows, scores have {}", exclude->size(), n);
    std::vector<int64_t> rows, cols;
    for (int64_t i = 0; i < n; ++i)
      for (int64_t id : (*exclude)[i]) {
        DELREC_CHECK(id >= 0 && id <= num_items, "excluded item id {} outside 0..{}", id, num_items);
        rows.push_back(i);
        cols.push_back(id);
      }
    ranked.index_put_({torch::tensor(rows, torch::kInt64), torch::tensor(cols, torch::kInt64)}, false);
  }
  torch::Tensor arange = torch::arange(n, torch::kInt64);
  ranked.index_put_({arange, t}, true);

  ranked = ranked.to(scores.device());
  torch::Tensor target_scores = scores.gather(1, t.to(scores.device()).unsqueeze(1));  // [N, 1]
  return ((scores >= target_scores) & ranked).sum(1).to(torch::kInt64);
}

RankingMetrics ranking_metrics(const torch::Tensor& ranks, const std::vector<int64_t>& ks) {
  DELREC_CHECK(ranks.dim() == 1, "ranks must have shape [N], got {} dimensions", ranks.dim());
  RankingMetrics m;
  m.count = ranks.size(0);
  if (m.count == 0) return m;
  torch::Tensor r = ranks.to(torch::kCPU, torch::kDouble);
  DELREC_CHECK(r.min().item<double>() >= 1, "ranks start at 1");
  for (int64_t k : ks) {
    torch::Tensor hit = (r <= static_cast<double>(k)).to(torch::kDouble);
    m.hr[k] = hit.mean().item<double>();
    m.ndcg[k] = (hit / torch::log2(r + 1)).mean().item<double>();
  }
  m.mrr = (1.0 / r).mean().item<double>();
  return m;
}

std::string format_metrics(const RankingMetrics& m) {
  std::string out;
  for (const auto& [k, v] : m.hr) out += fmt::format("HR@{} {:.4f}  ", k, v);
  for (const auto& [k, v] : m.ndcg) out += fmt::format("NDCG@{} {:.4f}  ", k, v);
  return out + fmt::format("MRR {:.4f}  ({} examples)", m.mrr, m.count);
}

}  // namespace delrec::eval
