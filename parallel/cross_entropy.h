#pragma once
// Cross-entropy over logits split along the vocabulary (the output of a ColumnParallelLinear lm_head without
// gather), computed without ever gathering the (N, V) logits. With z the logits of one row, t its target and
// rank r holding columns [r V/tp, (r+1) V/tp):
//   m = max_v z_v                      (local max, then all-reduce max)
//   z_t - m                            (only the rank holding t contributes; all-reduce sum)
//   S = sum_v exp(z_v - m)             (local sums, all-reduce sum)
//   loss = log S - (z_t - m)
// Backward is local: d loss / d z_v = softmax_v - [v == t], on each rank's own columns.
#include <torch/torch.h>

#include <memory>

#include "parallel/communicator.h"

namespace delrec::parallel {

// logits (..., V/tp) this rank's vocabulary slice; target (...) int64 full-vocabulary ids. Returns the per-token
// loss (...) in the logits' dtype (computed in float32 at least); tokens whose target is ignore_index get loss 0
// and gradient 0. Equals torch::nn::functional::cross_entropy(full logits, target, reduction none).
torch::Tensor vocab_parallel_cross_entropy(const torch::Tensor& logits, const torch::Tensor& target,
                                           const std::shared_ptr<Communicator>& tp, int64_t ignore_index = -100);

}  // namespace delrec::parallel
