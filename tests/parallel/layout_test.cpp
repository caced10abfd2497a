#include "parallel/layout.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace delrec::parallel {
namespace {

std::string error_of(const std::function<void()>& make) {
  try {
    make();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(LayoutTest, TensorParallelIsInnermost) {
  Layout layout(8, 5, 2, 4);  // rank 5 = dp_rank 2 * tp 2 + tp_rank 1
  EXPECT_EQ(layout.tp_rank(), 1);
  EXPECT_EQ(layout.dp_rank(), 2);
  EXPECT_EQ(layout.tp_group_ranks(), (std::vector<int>{4, 5}));
  EXPECT_EQ(layout.dp_group_ranks(), (std::vector<int>{1, 3, 5, 7}));
  EXPECT_EQ(layout.describe(), "world 8 = tp 2 x dp 4, rank 5 (tp_rank 1, dp_rank 2)");
}

TEST(LayoutTest, ErrorsNameEveryFactor) {
  EXPECT_NE(error_of([] { Layout(8, 0, 4, 3); }).find("tp(4) * dp(3) != world(8)"), std::string::npos);
  EXPECT_NE(error_of([] { Layout::from_tp(6, 0, 4); }).find("world(6) is not divisible by tp(4)"), std::string::npos);
  EXPECT_NE(error_of([] { Layout(4, 4, 2, 2); }).find("rank(4) outside world(4)"), std::string::npos);
  EXPECT_NE(error_of([] { Layout(4, 0, 0, 2); }).find("tp(0)"), std::string::npos);
}

TEST(LayoutTest, FromTpDerivesDp) {
  Layout layout = Layout::from_tp(12, 7, 4);
  EXPECT_EQ(layout.dp(), 3);
  EXPECT_EQ(layout.tp_rank(), 3);
  EXPECT_EQ(layout.dp_rank(), 1);
}

TEST(LayoutTest, TpFromEnvironment) {
  unsetenv("DELREC_TP");
  EXPECT_EQ(tp_from_environment(), 1);
  setenv("DELREC_TP", "4", 1);
  EXPECT_EQ(tp_from_environment(), 4);
  setenv("DELREC_TP", "4x", 1);
  EXPECT_NE(error_of([] { tp_from_environment(); }).find("DELREC_TP='4x'"), std::string::npos);
  unsetenv("DELREC_TP");
}

}  // namespace
}  // namespace delrec::parallel
