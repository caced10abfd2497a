#include "core/data/user_sequences.h"

#include <gtest/gtest.h>

namespace delrec::data {
namespace {

std::vector<int32_t> items_of(const std::vector<Event>& events) {
  std::vector<int32_t> out;
  for (const auto& e : events) out.push_back(e.item);
  return out;
}

TEST(GroupByUser, ChronologicalAndStableOnTies) {
  RawData raw;
  raw.add("u", "a", 1, 30);
  raw.add("v", "a", 1, 5);
  raw.add("u", "b", 1, 10);
  raw.add("u", "c", 1, 30);  // same time as "a": file order a, c is kept
  raw.add("u", "d", 1, 20);
  UserEvents users = group_by_user(raw);
  ASSERT_EQ(users.size(), 2u);
  // item indices: a=0 b=1 c=2 d=3
  EXPECT_EQ(items_of(users[0]), (std::vector<int32_t>{1, 3, 0, 2}));
  EXPECT_EQ(items_of(users[1]), (std::vector<int32_t>{0}));
}

TEST(DropLowRatings, KeepsRatingsAtTheThreshold) {
  UserEvents users = {{{0, 3.0f, 1}, {1, 4.0f, 2}, {2, 5.0f, 3}}};
  drop_low_ratings(users, 4.0);
  EXPECT_EQ(items_of(users[0]), (std::vector<int32_t>{1, 2}));
}

TEST(KcoreFilter, IteratesUntilStable) {
  // k = 2. Item 3 is seen once -> removed; then user 2 has one event -> removed; then item 2 (seen by users 1
  // and 2) has one event left -> removed; users 0 and 1 keep items 0 and 1.
  UserEvents users = {
      {{0, 1, 1}, {1, 1, 2}},
      {{0, 1, 1}, {1, 1, 2}, {2, 1, 3}},
      {{2, 1, 1}, {3, 1, 2}},
  };
  kcore_filter(users, 2, 4);
  EXPECT_EQ(items_of(users[0]), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(items_of(users[1]), (std::vector<int32_t>{0, 1}));
  EXPECT_TRUE(users[2].empty());
}

TEST(KcoreFilter, ZeroIsOff) {
  UserEvents users = {{{0, 1, 1}}};
  kcore_filter(users, 0, 1);
  EXPECT_EQ(users[0].size(), 1u);
}

TEST(KeepMostRecent, DropsTheOldest) {
  UserEvents users = {{{0, 1, 1}, {1, 1, 2}, {2, 1, 3}, {3, 1, 4}}};
  keep_most_recent(users, 3);
  EXPECT_EQ(items_of(users[0]), (std::vector<int32_t>{1, 2, 3}));
}

TEST(DropShortHistories, EmptiesShortUsers) {
  UserEvents users = {{{0, 1, 1}, {1, 1, 2}}, {{0, 1, 1}, {1, 1, 2}, {2, 1, 3}}};
  drop_short_histories(users, 3);
  EXPECT_TRUE(users[0].empty());
  EXPECT_EQ(users[1].size(), 3u);
}

}  // namespace
}  // namespace delrec::data
