#include "core/data/synthetic.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::data {
namespace {

// Share of transitions a -> b explained by the most frequent successor of each a: near pattern_strength when the
// planted pattern is there, small for popularity sampling alone.
double top_successor_share(const RawData& raw) {
  std::map<int32_t, std::map<int32_t, int>> next;
  int transitions = 0;
  for (size_t i = 1; i < raw.interactions.size(); ++i) {
    const auto &prev = raw.interactions[i - 1], &cur = raw.interactions[i];
    if (prev.user != cur.user) continue;
    ++next[prev.item][cur.item];
    ++transitions;
  }
  int explained = 0;
  for (const auto& [item, counts] : next) {
    int best = 0;
    for (const auto& [succ, n] : counts) best = std::max(best, n);
    explained += best;
  }
  return double(explained) / transitions;
}

TEST(Synthetic, DeterministicForSeed) {
  config::SyntheticConfig c;
  RawData a = generate_synthetic(c, 7), b = generate_synthetic(c, 7), other = generate_synthetic(c, 8);
  ASSERT_EQ(a.interactions.size(), b.interactions.size());
  bool same = true, same_as_other = a.interactions.size() == other.interactions.size();
  for (size_t i = 0; i < a.interactions.size(); ++i) {
    same &= a.interactions[i].item == b.interactions[i].item && a.interactions[i].user == b.interactions[i].user;
    if (same_as_other && i < other.interactions.size())
      same_as_other &= a.interactions[i].item == other.interactions[i].item;
  }
  EXPECT_TRUE(same);
  EXPECT_FALSE(same_as_other);
}

TEST(Synthetic, ShapeAndDistinctTitles) {
  config::SyntheticConfig c;
  c.users = 40;
  c.items = 450;  // more than the 400 word pairs: titles continue with "Part 2"
  c.min_length = 5;
  c.max_length = 9;
  RawData raw = generate_synthetic(c, 1);
  EXPECT_EQ(raw.users.size(), 40u);
  EXPECT_GE(raw.interactions.size(), 40u * 5);
  EXPECT_LE(raw.interactions.size(), 40u * 9);
  std::set<std::string> titles;
  for (const auto& [key, title] : raw.titles) titles.insert(title);
  EXPECT_EQ(titles.size(), 450u);
}

TEST(Synthetic, PlantedPatternIsLearnable) {
  config::SyntheticConfig c;
  c.pattern_strength = 0.8;
  EXPECT_GT(top_successor_share(generate_synthetic(c, 1)), 0.75);
  c.pattern_strength = 0;
  EXPECT_LT(top_successor_share(generate_synthetic(c, 1)), 0.4);
}

TEST(Synthetic, MinLengthAboveMaxLengthIsAnError) {
  config::SyntheticConfig c;
  c.min_length = 10;
  c.max_length = 5;
  std::string msg = test::error_message([&] { generate_synthetic(c, 1); });
  EXPECT_NE(msg.find("data.synthetic.min_length (10) must not exceed data.synthetic.max_length (5)"), std::string::npos)
      << msg;
}

}  // namespace
}  // namespace delrec::data
