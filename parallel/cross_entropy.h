#pragma once
// Cross-entropy over logits split along the vocabulary (the output of a ColumnParallelLinear lm_head without
// gather), computed without ever gathering the (N, V) logits. With z the logits of one row, t its target and
// rank r holding columns [r V/tp, (r+1) V/tp):
//   logp_r = log_softmax(z_r), lse_r = log sum_{v on r} exp(z_v)     (local, one fused pass)
//   lse = M + log sum_r exp(lse_r - M), M = max_r lse_r               (all-reduce max, then sum, of N numbers)
//   z_t                                                              (only the rank holding t contributes; sum)
//   loss = lse - z_t
// Backward is local: d loss / d z_v = softmax_v - [v == t] = exp(logp_v - (lse - lse_r)) - [v == t], on each
// rank's own columns, written over the saved log-softmax (the graph can be run backward once).
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
