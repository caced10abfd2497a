#include "core/data/dataset_stats.h"

#include <gtest/gtest.h>

namespace delrec::data {
namespace {

TEST(DatasetStats, HandComputedPercentilesAndDensity) {
  Dataset d;
  d.item_titles.assign(11, "t");  // 10 items
  d.sequences = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {1, 2, 3}, {1, 2, 3, 4, 5}, {1, 2, 3, 4}};
  DatasetStats s = compute_stats(d);
  EXPECT_EQ(s.users, 4);
  EXPECT_EQ(s.items, 10);
  EXPECT_EQ(s.interactions, 22);
  // Sorted lengths 3 4 5 10; nearest rank: p50 -> 2nd, p90 -> ceil(3.6) = 4th, p99 -> 4th.
  EXPECT_EQ(s.length_p50, 4);
  EXPECT_EQ(s.length_p90, 10);
  EXPECT_EQ(s.length_p99, 10);
  EXPECT_EQ(s.length_max, 10);
  EXPECT_DOUBLE_EQ(s.density, 22.0 / 40.0);
  std::string text = format_stats(d, s);
  EXPECT_NE(text.find("interactions:   22"), std::string::npos) << text;
}

}  // namespace
}  // namespace delrec::data
