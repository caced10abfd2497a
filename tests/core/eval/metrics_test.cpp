#include "core/eval/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::eval {
namespace {

TEST(CandidateRanks, PessimisticTies) {
  // Target in column 0. Row 0: strictly best -> 1. Row 1: worst -> 3. Row 2: tied with one other -> 2.
  // Row 3: all equal -> 3 (the worst possible, never a lucky 1).
  torch::Tensor scores = torch::tensor({3.f, 1.f, 2.f, 1.f, 2.f, 3.f, 2.f, 2.f, 1.f, 5.f, 5.f, 5.f}).view({4, 3});
  torch::Tensor ranks = candidate_ranks(scores);
  EXPECT_TRUE(torch::equal(ranks, torch::tensor({1, 3, 2, 3}, torch::kInt64)));
}

TEST(RankingMetrics, HandComputedValues) {
  RankingMetrics m = ranking_metrics(torch::tensor({1, 3, 2, 3}, torch::kInt64), {1, 2, 3});
  EXPECT_EQ(m.count, 4);
  EXPECT_DOUBLE_EQ(m.hr.at(1), 0.25);
  EXPECT_DOUBLE_EQ(m.hr.at(2), 0.5);
  EXPECT_DOUBLE_EQ(m.hr.at(3), 1.0);
  EXPECT_DOUBLE_EQ(m.ndcg.at(1), 0.25);
  EXPECT_NEAR(m.ndcg.at(2), (1 + 1 / std::log2(3.0)) / 4, 1e-12);
  EXPECT_NEAR(m.ndcg.at(3), (1 + 1 / std::log2(3.0) + 2 / std::log2(4.0)) / 4, 1e-12);
  EXPECT_NEAR(m.mrr, (1 + 1.0 / 3 + 1.0 / 2 + 1.0 / 3) / 4, 1e-12);
  EXPECT_NE(format_metrics(m).find("HR@1 0.2500"), std::string::npos);
}

TEST(FullRanks, PaddingNeverRanksAndHistoryCanBeExcluded) {
  // 4 items (columns 1..4), column 0 is padding with a high score that must be ignored.
  torch::Tensor scores = torch::tensor({9.f, .1f, .5f, .3f, .5f,   // target 2 (0.5) ties with item 4
                                        0.f, .9f, .8f, .7f, .6f})  // target 4 (0.6) is last
                             .view({2, 5});
  torch::Tensor targets = torch::tensor({2, 4}, torch::kInt64);
  EXPECT_TRUE(torch::equal(full_ranks(scores, targets), torch::tensor({2, 4}, torch::kInt64)));
  // Excluding row 0's item 4 lifts its target to 1; row 1 excludes item 1 and the target itself (a repeat
  // consumption), which stays ranked -> 3.
  std::vector<std::vector<int64_t>> history = {{4}, {1, 4}};
  EXPECT_TRUE(torch::equal(full_ranks(scores, targets, &history), torch::tensor({1, 3}, torch::kInt64)));
}

TEST(Metrics, InvalidInputsAreErrors) {
  torch::Tensor nan_scores = torch::tensor({1.f, NAN}).view({1, 2});
  EXPECT_NE(test::error_message([&] { candidate_ranks(nan_scores); }).find("NaN"), std::string::npos);
  torch::Tensor scores = torch::zeros({1, 3});
  EXPECT_NE(test::error_message([&] {
              full_ranks(scores, torch::tensor({3}, torch::kInt64));
            }).find("target ids must lie in 1..2"),
            std::string::npos);
}

}  // namespace
}  // namespace delrec::eval
