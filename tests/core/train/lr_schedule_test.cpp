#include "core/train/lr_schedule.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/util/error.h"

namespace delrec::train {
namespace {

TEST(LrSchedule, WarmupThenCosine) {
  LrSchedule s{/*peak=*/1.0, /*warmup_steps=*/4, /*total_steps=*/14, Decay::kCosine, /*min_ratio=*/0.1};
  EXPECT_DOUBLE_EQ(s.at(0), 0.25);
  EXPECT_DOUBLE_EQ(s.at(3), 1.0);
  EXPECT_DOUBLE_EQ(s.at(4), 1.0);                                 // decay starts at progress 0
  EXPECT_NEAR(s.at(9), 0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * 0.5)), 1e-12);  // half way: 0.55
  EXPECT_DOUBLE_EQ(s.at(14), 0.1);
  EXPECT_DOUBLE_EQ(s.at(100), 0.1);                               // constant after the end
}

TEST(LrSchedule, LinearAndConstant) {
  LrSchedule lin{2.0, 0, 10, Decay::kLinear, 0.0};
  EXPECT_DOUBLE_EQ(lin.at(0), 2.0);
  EXPECT_DOUBLE_EQ(lin.at(5), 1.0);
  EXPECT_DOUBLE_EQ(lin.at(10), 0.0);
  LrSchedule flat{0.5, 2, 10, Decay::kConstant, 0.0};
  EXPECT_DOUBLE_EQ(flat.at(0), 0.25);
  EXPECT_DOUBLE_EQ(flat.at(7), 0.5);
}

TEST(LrSchedule, ParseDecay) {
  EXPECT_EQ(parse_decay("cosine"), Decay::kCosine);
  EXPECT_THROW(parse_decay("exp"), Error);
}

}  // namespace
}  // namespace delrec::train
