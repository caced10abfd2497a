#pragma once
// Helpers for the model tests: a TP group of one (this process) and the fixture comparison.
#include <torch/torch.h>

#include <memory>

#include "parallel/parallel_groups.h"
#include "parallel/world.h"

namespace delrec::test {

inline std::shared_ptr<parallel::Communicator> single_rank_tp() {
  static parallel::World world;  // a world of one when the test runs outside mpirun
  static parallel::ParallelGroups groups = parallel::make_parallel_groups(world, 1);
  return groups.tp;
}

// ||out - ref|| / ||ref|| in float64.
inline double relative_error(const torch::Tensor& out, const torch::Tensor& ref) {
  torch::Tensor o = out.detach().to(torch::kFloat64), r = ref.to(torch::kFloat64);
  return (o - r).norm().item<double>() / r.norm().item<double>();
}

}  // namespace delrec::test
