#include "core/teacher/fast_dropout.h"

#include <gtest/gtest.h>

namespace delrec::teacher {
namespace {

TEST(FastDropout, DropsTheQuantisedFractionAndKeepsTheExpectation) {
  torch::manual_seed(3);
  auto x = torch::ones({1000, 1000});
  auto y = fast_dropout(x, 0.2, /*training=*/true);
  const double dropped = y.eq(0).to(torch::kDouble).mean().item<double>();
  // p = 0.2 -> 51/256 = 0.19922; with 1e6 Bernoulli draws the standard error is 4e-4.
  EXPECT_NEAR(dropped, 51.0 / 256.0, 2e-3);
  const double kept_value = y.max().item<double>();
  EXPECT_NEAR(kept_value, 256.0 / 205.0, 1e-6);  // 1 / (1 - 51/256)
  EXPECT_NEAR(y.mean().item<double>(), 1.0, 5e-3);
}

TEST(FastDropout, IdentityWhenNotTrainingAndGradientThroughKeptEntries) {
  auto x = torch::randn({7, 13}).requires_grad_();
  EXPECT_TRUE(fast_dropout(x, 0.5, false).equal(x));
  EXPECT_TRUE(fast_dropout(x, 0.0, true).equal(x));
  auto y = fast_dropout(x, 0.5, true);
  y.sum().backward();
  // d y / d x is the mask times the scale: 2 where kept, 0 where dropped.
  EXPECT_TRUE(x.grad().equal(y.ne(0).to(torch::kFloat) * 2.0));
  EXPECT_TRUE(fast_dropout(x, 1.0, true).eq(0).all().item<bool>());
}

}  // namespace
}  // namespace delrec::teacher
