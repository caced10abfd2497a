#include "core/train/lion.h"

#include <gtest/gtest.h>

namespace delrec::train {
namespace {

// Two steps on a 3-element parameter, checked coordinate by coordinate against the update rule written out by
// hand (values chosen so that the sign of the interpolation differs from the sign of the gradient).
TEST(Lion, FollowsTheUpdateRule) {
  auto p = torch::tensor({1.0, -2.0, 0.5}, torch::kFloat64).requires_grad_();
  Lion opt({p}, LionOptions(0.1).beta1(0.9).beta2(0.99).weight_decay(0.5));

  p.mutable_grad() = torch::tensor({0.3, -0.2, 0.0}, torch::kFloat64);
  opt.step();
  // m0 = 0: c = 0.1 g -> sign(g) = (+1, -1, 0); decay factor 1 - 0.1*0.5 = 0.95.
  // p1 = p0 * 0.95 - 0.1 * sign(c) = (0.85, -1.8, 0.475); m1 = 0.01 g = (0.003, -0.002, 0).
  auto expected1 = torch::tensor({0.85, -1.8, 0.475}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(p.detach(), expected1, 0, 1e-12)) << p;

  p.mutable_grad() = torch::tensor({-0.001, -0.5, 0.1}, torch::kFloat64);
  opt.step();
  // c = 0.9 m1 + 0.1 g = (0.0027 - 0.0001, -0.0018 - 0.05, 0.01) -> sign (+1, -1, +1): the first coordinate keeps
  // moving against its new (negative) gradient because the momentum dominates.
  // p2 = p1 * 0.95 - 0.1 * sign(c) = (0.7075, -1.61, 0.35125).
  auto expected2 = torch::tensor({0.7075, -1.61, 0.35125}, torch::kFloat64);
  EXPECT_TRUE(torch::allclose(p.detach(), expected2, 0, 1e-12)) << p;
}

// With a learning rate decayed linearly to 0, the sign updates settle on the minimum of sum(p^2).
TEST(Lion, MinimisesAQuadratic) {
  auto p = torch::full({4}, 3.0, torch::kFloat64).requires_grad_();
  Lion opt({p}, LionOptions(0.01));
  const int steps = 1000;
  for (int i = 0; i < steps; ++i) {
    static_cast<LionOptions&>(opt.param_groups()[0].options()).lr(0.01 * (1.0 - double(i) / steps));
    opt.zero_grad();
    auto loss = (p * p).sum();
    loss.backward();
    opt.step();
  }
  EXPECT_LT(p.abs().max().item<double>(), 1e-3) << p;
}

}  // namespace
}  // namespace delrec::train
