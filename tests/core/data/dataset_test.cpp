#include "core/data/dataset.h"

#include <gtest/gtest.h>

#include "core/util/error.h"

namespace delrec::data {
namespace {

Dataset one_user() {
  Dataset d;
  d.user_keys = {"u"};
  d.item_keys = {"", "a", "b", "c", "d", "e", "f", "g", "h"};
  d.item_titles = {"", "A", "B", "C", "D", "E", "F", "G", "H"};
  d.sequences = {{5, 6, 7, 8}};
  d.timestamps = {{1, 2, 3, 4}};
  d.valid_candidates = {{7, 1}};
  d.test_candidates = {{8, 2}};
  return d;
}

TEST(Dataset, LeaveOneOutViews) {
  Dataset d = one_user();
  EXPECT_EQ(d.train_sequence(0), (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(d.valid_history(0), (std::vector<int64_t>{5, 6}));
  EXPECT_EQ(d.valid_target(0), 7);
  EXPECT_EQ(d.test_history(0), (std::vector<int64_t>{5, 6, 7}));
  EXPECT_EQ(d.test_target(0), 8);
  EXPECT_EQ(d.num_interactions(), 4);
  EXPECT_EQ(d.num_items(), 8);
}

TEST(Dataset, TooShortSequenceIsAnError) {
  Dataset d = one_user();
  d.sequences[0] = {1, 2};
  EXPECT_THROW(d.test_target(0), Error);
  EXPECT_THROW(d.valid_target(1), Error);
}

TEST(Dataset, FingerprintFollowsContentNotName) {
  Dataset a = one_user(), b = one_user();
  b.name = "renamed";
  b.recipe_yaml = "other";
  EXPECT_EQ(compute_fingerprint(a), compute_fingerprint(b));
  b.item_titles[3] = "C2";
  EXPECT_NE(compute_fingerprint(a), compute_fingerprint(b));
  Dataset c = one_user();
  c.test_candidates[0][1] = 3;
  EXPECT_NE(compute_fingerprint(a), compute_fingerprint(c));
  // Length prefixes: moving a character between neighbouring strings changes the hash.
  Dataset e = one_user();
  e.item_titles[1] = "AB";
  e.item_titles[2] = "";
  EXPECT_NE(compute_fingerprint(a), compute_fingerprint(e));
}

}  // namespace
}  // namespace delrec::data
