#pragma once
// Helpers for the multi-rank tests of parallel/: the world of this test run, the TP sizes it can form, and a
// tensor comparison that reports the largest difference.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <vector>

#include "parallel/parallel_groups.h"
#include "parallel/world.h"

namespace delrec::test {

inline const parallel::World& test_world() {
  static parallel::World world;
  return world;
}

// The TP sizes > 1 that divide the world: {2} with 2 ranks, {2, 4} with 4 ranks.
inline std::vector<int> tp_sizes() {
  std::vector<int> sizes;
  for (int tp : {2, 4})
    if (test_world().size() % tp == 0) sizes.push_back(tp);
  return sizes;
}

// Tolerances the parallel layers must meet against the unsplit computation.
inline double tolerance(torch::Dtype dtype) { return dtype == torch::kDouble ? 1e-10 : 1e-5; }

inline ::testing::AssertionResult tensors_near(const torch::Tensor& actual, const torch::Tensor& expected,
                                               double tol) {
  if (actual.sizes() != expected.sizes())
    return ::testing::AssertionFailure() << "shape " << actual.sizes() << " != expected " << expected.sizes();
  if (torch::allclose(actual, expected, tol, tol)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "max abs difference "
                                       << (actual - expected).abs().max().item<double>() << " > " << tol;
}

}  // namespace delrec::test
