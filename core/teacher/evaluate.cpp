#include "core/teacher/evaluate.h"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace delrec::teacher {

const char* to_string(Split split) { return split == Split::kValid ? "valid" : "test"; }

TeacherEvaluation evaluate_teacher(const Teacher& teacher, const data::Dataset& dataset, Split split,
                                   bool full_catalogue) {
  const int64_t U = dataset.num_users();
  const auto& candidate_rows = split == Split::kValid ? dataset.valid_candidates : dataset.test_candidates;
  // Users sorted by history length, so each batch is padded only to a similar length.
  std::vector<int64_t> order(U);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
    return dataset.sequences[a].size() < dataset.sequences[b].size();
  });
  std::vector<torch::Tensor> candidate_ranks, full_ranks;
  const int64_t batch = teacher.config().eval_batch_size;
  for (int64_t begin = 0; begin < U; begin += batch) {
    const int64_t end = std::min(U, begin + batch);
    std::vector<std::vector<int64_t>> histories;
    std::vector<int64_t> targets;
    torch::Tensor candidates = torch::empty({end - begin, int64_t(candidate_rows[order[begin]].size())}, torch::kLong);
    for (int64_t i = begin; i < end; ++i) {
      const int64_t u = order[i];
      histories.push_back(split == Split::kValid ? dataset.valid_history(u) : dataset.test_history(u));
      targets.push_back(split == Split::kValid ? dataset.valid_target(u) : dataset.test_target(u));
      candidates[i - begin] = torch::tensor(candidate_rows[u], torch::kLong);
    }
    torch::NoGradGuard no_grad;
    auto states = teacher.encode(histories);                                                   // (B, D)
    candidate_ranks.push_back(eval::candidate_ranks(teacher.model().score(states, candidates)));  // (B)
    if (full_catalogue) {
      auto scores = teacher.model().score_all(states);                                         // (B, N + 1)
      full_ranks.push_back(eval::full_ranks(scores, torch::tensor(targets, torch::kLong), &histories));
    }
  }
  TeacherEvaluation result;
  result.candidates = eval::ranking_metrics(torch::cat(candidate_ranks), kReportedCutoffs);
  if (full_catalogue) result.full = eval::ranking_metrics(torch::cat(full_ranks), kReportedCutoffs);
  return result;
}

namespace {

nlohmann::json metrics_json(const eval::RankingMetrics& m) {
  nlohmann::json j{{"count", m.count}, {"MRR", m.mrr}};
  for (const auto& [k, v] : m.hr) j[fmt::format("HR@{}", k)] = v;
  for (const auto& [k, v] : m.ndcg) j[fmt::format("NDCG@{}", k)] = v;
  return j;
}

}  // namespace

nlohmann::json to_json(const TeacherEvaluation& evaluation) {
  nlohmann::json j{{"candidates", metrics_json(evaluation.candidates)}};
  if (evaluation.full.count > 0) j["full"] = metrics_json(evaluation.full);
  return j;
}

std::string format_table(const TeacherEvaluation& evaluation, const std::string& title) {
  std::string out = fmt::format("{}\n{:<22}{:>8}{:>8}{:>8}{:>8}{:>9}{:>8}{:>8}\n", title, "ranking", "HR@1", "HR@5",
                                "NDCG@5", "HR@10", "NDCG@10", "MRR", "users");
  auto row = [&](const std::string& name, const eval::RankingMetrics& m) {
    out += fmt::format("{:<22}{:>8.4f}{:>8.4f}{:>8.4f}{:>8.4f}{:>9.4f}{:>8.4f}{:>8}\n", name, m.hr.at(1), m.hr.at(5),
                       m.ndcg.at(5), m.hr.at(10), m.ndcg.at(10), m.mrr, m.count);
  };
  row("candidates", evaluation.candidates);
  if (evaluation.full.count > 0) row("full catalogue", evaluation.full);
  return out;
}

}  // namespace delrec::teacher
