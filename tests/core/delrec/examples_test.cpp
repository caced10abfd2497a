// Example construction for both stages (TA, RPS with top1 and distribution targets, recommendation), the listwise
// losses against hand computations, and the dynamic task weighting.
#include "core/delrec/examples.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/delrec/losses.h"
#include "core/train/trainer.h"
#include "core/util/error.h"

namespace delrec::examples {
namespace {

// Two users over 12 items; every user's sequence is long enough for two TA positions.
data::Dataset small_dataset() {
  data::Dataset d;
  d.name = "hand-made";
  d.item_titles.push_back("");
  for (int i = 1; i <= 12; ++i) d.item_titles.push_back("Item " + std::to_string(i));
  d.sequences = {{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11}};
  d.timestamps = {{1, 2, 3, 4, 5, 6}, {1, 2, 3, 4, 5}};
  d.valid_candidates = {{5, 7, 8, 9}, {10, 1, 2, 3}};
  d.test_candidates = {{6, 7, 8, 9}, {11, 1, 2, 3}};
  return d;
}

TEST(Examples, TemporalAnalysisHidesTheMostRecentItemBeforeTheKnownNext) {
  const auto d = small_dataset();
  const auto all = temporal_examples(d, -1, 4, 0, 3);
  // User 0: training part [1,2,3,4] -> t = 2, 3; user 1: [7,8,9] -> t = 2.
  ASSERT_EQ(all.size(), 3u);
  const Example& e = all[1];
  EXPECT_EQ(e.user, 0);
  EXPECT_EQ(e.position, 3);
  EXPECT_EQ(e.history, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(e.next_item, 4);
  ASSERT_EQ(e.candidates.size(), 4u);
  EXPECT_EQ(e.candidates[e.label], 3);  // the hidden item
  for (size_t j = 0; j < e.candidates.size(); ++j) {
    if (static_cast<int64_t>(j) == e.label) continue;
    EXPECT_GE(e.candidates[j], 7) << "a negative the user interacted with";  // user 0 saw 1..6
  }
  EXPECT_EQ(std::count(e.candidates.begin(), e.candidates.end(), 3), 1);
  // per_user keeps the most recent positions only.
  const auto recent = temporal_examples(d, 1, 4, 0, 3);
  ASSERT_EQ(recent.size(), 2u);
  EXPECT_EQ(recent[0].position, 3);
  EXPECT_EQ(recent[1].position, 2);
  // The same seed gives the same examples; the shown order does not always put the answer first.
  EXPECT_EQ(temporal_examples(d, -1, 4, 0, 3)[1].candidates, e.candidates);
}

TEST(Examples, TemporalAnalysisDemonstrationComesFromTheFirstItemsAndNeverShowsTheAnswer) {
  auto d = small_dataset();
  d.sequences[0] = {1, 2, 3, 4, 5, 6, 7, 8};  // training part 1..6
  d.timestamps[0] = {1, 2, 3, 4, 5, 6, 7, 8};
  const auto all = temporal_examples(d, -1, 4, /*demonstration_items=*/4, 3);
  // User 0: t from d + 1 = 5 to 5 (training part 1..6); user 1's training part [7,8,9] is too short.
  ASSERT_EQ(all.size(), 1u);
  const Example& e = all[0];
  EXPECT_EQ(e.position, 5);
  EXPECT_EQ(e.demo_history, (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(e.demo_hidden, 3);
  EXPECT_EQ(e.demo_next, 4);
  EXPECT_EQ(e.candidates[e.label], 5);  // the hidden item s[t-1]
  EXPECT_EQ(e.next_item, 6);
  EXPECT_THROW(temporal_examples(d, -1, 4, 2, 3), Error);  // a demonstration needs shown, hidden and next
}

teacher::CacheBatch hand_cache() {
  teacher::CacheBatch c;
  c.user = torch::tensor({0, 0}, torch::kInt64);
  c.position = torch::tensor({3, 4}, torch::kInt64);
  c.kind = torch::tensor({int8_t(0), int8_t(1)}, torch::kInt8);  // a training prefix, then a validation example
  c.candidates = torch::tensor({4, 9, 10, 11, 5, 7, 8, 9}, torch::kInt64).view({2, 4});
  c.candidate_scores = torch::tensor({0.1f, 2.0f, -1.0f, 0.5f, 0.f, 0.f, 0.f, 0.f}).view({2, 4});
  c.topk_items = torch::zeros({2, 1}, torch::kInt64);
  c.topk_scores = torch::zeros({2, 1});
  return c;
}

TEST(Examples, PatternSimulationTargetsComeFromTheTeacherCache) {
  const auto d = small_dataset();
  const auto rps = cached_examples(hand_cache(), d, Answer::kTeacherTop1, 8);
  ASSERT_EQ(rps.size(), 1u);  // the validation example is not a training example
  const Example& e = rps[0];
  EXPECT_EQ(e.history, (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(e.candidates[e.label], 9);  // top1: the teacher's best candidate, not the true item 4
  // The scores travel with their items through the shuffle.
  const std::vector<std::pair<int64_t, float>> expected = {{4, 0.1f}, {9, 2.0f}, {10, -1.0f}, {11, 0.5f}};
  for (const auto& [item, score] : expected) {
    const auto at = std::find(e.candidates.begin(), e.candidates.end(), item) - e.candidates.begin();
    EXPECT_EQ(e.teacher_scores[at], score) << "item " << item;
  }
  const auto rec = cached_examples(hand_cache(), d, Answer::kTrueItem, 8);
  EXPECT_EQ(rec[0].candidates[rec[0].label], 4);
  EXPECT_TRUE(rec[0].teacher_scores.empty());
}

TEST(Examples, TeacherTopkCandidatesAreTheTeachersBestPlusUnseenItems) {
  const auto d = small_dataset();
  auto c = hand_cache();
  // The teacher's top 3 over the catalogue for user 0 at t = 3 (history 1, 2, 3): 10, 4 (the true item), 12.
  c.topk_items = torch::tensor({10, 4, 12, 11, 5, 6, 7, 8}, torch::kInt64).view({2, 4});
  c.topk_scores = torch::tensor({3.f, 2.5f, 2.f, 1.f, 0.f, 0.f, 0.f, 0.f}).view({2, 4});
  const auto two = teacher_topk_examples(c, d, 2, 8);
  ASSERT_EQ(two.size(), 1u);
  const Example& e = two[0];
  // Top 2 (10, 4), then the cached row's negatives 9, 11 (10 is already in): four candidates.
  auto sorted = e.candidates;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int64_t>{4, 9, 10, 11}));
  EXPECT_EQ(e.candidates[e.label], 10);
  EXPECT_EQ(e.teacher_ranks, (std::vector<int64_t>{4}));
  const std::vector<std::pair<int64_t, float>> expected = {{10, 3.f}, {4, 2.5f}, {9, 2.0f}, {11, 0.5f}};
  for (const auto& [item, score] : expected) {
    const auto at = std::find(e.candidates.begin(), e.candidates.end(), item) - e.candidates.begin();
    EXPECT_EQ(e.teacher_scores[at], score) << "item " << item;
  }
  // Top 1 only: the true item 4 is not the teacher's pick, so it is not shown at all.
  const auto one = teacher_topk_examples(c, d, 1, 8);
  EXPECT_EQ(std::count(one[0].candidates.begin(), one[0].candidates.end(), 4), 0);
  EXPECT_EQ(rps_agreement(one, d), (std::pair<int64_t, int64_t>{1, 0}));
  // A top_k of C or more: every candidate is one of the teacher's top C.
  const auto all = teacher_topk_examples(c, d, 9, 8);
  sorted = all[0].candidates;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int64_t>{4, 10, 11, 12}));
  c.topk_items = c.topk_items.narrow(1, 0, 2).contiguous();
  c.topk_scores = c.topk_scores.narrow(1, 0, 2).contiguous();
  EXPECT_THROW(teacher_topk_examples(c, d, 3, 8), Error);  // the cache holds the teacher's top 2 only
}

TEST(Examples, SplitExamplesUseTheFixedCandidateRows) {
  const auto d = small_dataset();
  const auto test = split_examples(d, Split::kTest, 0, 1);
  ASSERT_EQ(test.size(), 2u);
  EXPECT_EQ(test[1].history, (std::vector<int64_t>{7, 8, 9, 10}));
  EXPECT_EQ(test[1].candidates[test[1].label], 11);
  auto sorted = test[1].candidates;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int64_t>{1, 2, 3, 11}));
  EXPECT_EQ(split_examples(d, Split::kValid, 1, 1).size(), 1u);
}

TEST(Losses, CrossEntropyAndKlMatchHandComputations) {
  const double e = std::exp(1.0);
  EXPECT_NEAR(stages::candidate_cross_entropy(torch::tensor({1.f, 2.f, 3.f}), 0).item<double>(),
              -std::log(e / (e + e * e + e * e * e)), 1e-6);
  // q = softmax(0, ln 2) = (1/3, 2/3); p = softmax(0, 0) = (1/2, 1/2).
  const double kl = 0.5 * std::log(0.5 / (1.0 / 3)) + 0.5 * std::log(0.5 / (2.0 / 3));
  EXPECT_NEAR(stages::teacher_kl(torch::tensor({0.f, float(std::log(2.0))}), {0.f, 0.f}, 1.0).item<double>(), kl,
              1e-6);
  // Temperature 2 turns teacher scores (0, 2 ln 2) into exactly q: the divergence vanishes.
  EXPECT_NEAR(stages::teacher_kl(torch::tensor({0.f, float(std::log(2.0))}), {0.f, float(2 * std::log(2.0))}, 2.0)
                  .item<double>(),
              0.0, 1e-7);
}

TEST(Losses, DynamicWeightsAreInverseSquareRootsOfTheNormsNormalised) {
  // sqrt(1/4) = 1/2 and sqrt(1/1) = 1 -> (1/3, 2/3).
  const auto w = train::dynamic_weights({4.0, 1.0});
  ASSERT_EQ(w.size(), 2u);
  EXPECT_NEAR(w[0], 1.0 / 3, 1e-12);
  EXPECT_NEAR(w[1], 2.0 / 3, 1e-12);
  const auto same = train::dynamic_weights({0.3, 0.3, 0.3});
  for (double x : same) EXPECT_NEAR(x, 1.0 / 3, 1e-12);
}

}  // namespace
}  // namespace delrec::examples
