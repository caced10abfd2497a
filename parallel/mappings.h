#pragma once
// The four collectives of tensor parallelism as autograd functions (Megatron-LM's mappings). `tp` is the TP group;
// "split" keeps this rank's contiguous piece of the last dimension, which must divide by the group size.
// With a group of one each is the identity, so a single process runs the same code path.
#include <torch/torch.h>

#include <memory>

#include "parallel/communicator.h"

namespace delrec::parallel {

// forward: identity; backward: all-reduce (sum). Enters a column-parallel region: every rank's partial input
// gradient contributes to the full one.
torch::Tensor copy_to_tp_region(const torch::Tensor& x, const std::shared_ptr<Communicator>& tp);

// forward: all-reduce (sum); backward: identity. Leaves a row-parallel region: partial outputs are summed.
torch::Tensor reduce_from_tp_region(const torch::Tensor& x, const std::shared_ptr<Communicator>& tp);

// forward: all-gather along the last dimension, (..., k) -> (..., tp * k); backward: split the last dimension.
torch::Tensor gather_from_tp_region(const torch::Tensor& x, const std::shared_ptr<Communicator>& tp);

// forward: split the last dimension, (..., tp * k) -> (..., k); backward: all-gather along the last dimension.
torch::Tensor scatter_to_tp_region(const torch::Tensor& x, const std::shared_ptr<Communicator>& tp);

// This rank's piece of `x` along `dim` (size divisible by the group size), contiguous; throws naming the sizes.
torch::Tensor tp_slice(const torch::Tensor& x, int64_t dim, const Communicator& tp);

}  // namespace delrec::parallel
