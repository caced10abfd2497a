#include "core/data/candidates.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::data {
namespace {

void expect_valid_row(const std::vector<int64_t>& row, int64_t target, const std::vector<int64_t>& interacted,
                      int64_t num_items, size_t num_candidates) {
  ASSERT_EQ(row.size(), num_candidates);
  EXPECT_EQ(row[0], target);
  EXPECT_EQ(std::set<int64_t>(row.begin(), row.end()).size(), row.size()) << "candidates repeat";
  for (size_t j = 1; j < row.size(); ++j) {
    EXPECT_GE(row[j], 1);
    EXPECT_LE(row[j], num_items);
    EXPECT_FALSE(std::binary_search(interacted.begin(), interacted.end(), row[j]))
        << "negative " << row[j] << " was interacted with";
  }
}

TEST(SampleCandidates, SameSeedSameRowDifferentSeedDifferentRow) {
  std::vector<uint8_t> scratch;
  const std::vector<int64_t> seen = {3, 7, 9};
  auto a = sample_candidates(7, seen, 1000, 20, 42, scratch);
  auto b = sample_candidates(7, seen, 1000, 20, 42, scratch);
  auto c = sample_candidates(7, seen, 1000, 20, 43, scratch);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
  expect_valid_row(a, 7, seen, 1000, 20);
  expect_valid_row(c, 7, seen, 1000, 20);
  EXPECT_TRUE(std::all_of(scratch.begin(), scratch.end(), [](uint8_t v) { return v == 0; }));
}

TEST(SampleCandidates, UserWhoSawMostItemsGetsTheRemainingOnes) {
  // 30 items, 20 seen: the complement path must return exactly the 10 unseen items.
  std::vector<int64_t> seen;
  for (int64_t i = 1; i <= 20; ++i) seen.push_back(i);
  std::vector<uint8_t> scratch;
  auto row = sample_candidates(5, seen, 30, 11, 1, scratch);
  expect_valid_row(row, 5, seen, 30, 11);
  std::vector<int64_t> negatives(row.begin() + 1, row.end());
  std::sort(negatives.begin(), negatives.end());
  EXPECT_EQ(negatives, (std::vector<int64_t>{21, 22, 23, 24, 25, 26, 27, 28, 29, 30}));
}

TEST(SampleCandidates, TooFewUnseenItemsIsAnError) {
  std::vector<uint8_t> scratch;
  std::string msg = test::error_message([&] { sample_candidates(1, {1, 2, 3}, 5, 4, 1, scratch); });
  EXPECT_NE(msg.find("only 2 items are left to sample 3 negatives"), std::string::npos) << msg;
}

TEST(BuildCandidates, RowsFollowTargetsAndAvoidEverythingSeen) {
  Dataset d;
  d.user_keys = {"a", "b"};
  d.item_titles.assign(51, "t");
  d.sequences = {{1, 2, 3, 4}, {10, 11, 12}};
  // User a also saw item 40 (e.g. a low rating that min_rating removed): it must never be a negative.
  std::vector<std::vector<int64_t>> interacted = {{1, 2, 3, 4, 40}, {10, 11, 12}};
  build_candidates(d, interacted, 20, 7);
  for (int64_t u = 0; u < 2; ++u) {
    expect_valid_row(d.valid_candidates[u], d.valid_target(u), interacted[u], 50, 20);
    expect_valid_row(d.test_candidates[u], d.test_target(u), interacted[u], 50, 20);
  }
  EXPECT_NE(d.valid_candidates[0], d.test_candidates[0]);
  Dataset again = d;
  build_candidates(again, interacted, 20, 7);
  EXPECT_EQ(again.test_candidates, d.test_candidates);
}

}  // namespace
}  // namespace delrec::data
