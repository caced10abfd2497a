#pragma once
// Global gradient-norm clipping for a model split over a TP group and replicated over DP groups.
// The norm is that of the unsplit model's gradient:
//   ||g||^2 = sum over TP ranks of ||g_sharded||^2  (each rank holds a different slice)
//           + ||g_replicated||^2                   (identical on every TP rank: counted once, not tp times)
// Call it after the DP all-reduce, when gradients are equal across DP ranks (so no DP reduction is needed).
#include <torch/torch.h>

#include <vector>

#include "parallel/communicator.h"

namespace delrec::parallel {

// Scales every gradient by max_norm / norm when norm > max_norm; returns the norm before clipping. Parameters
// without a gradient are skipped. Collective over `tp`.
double clip_grad_norm(const std::vector<torch::Tensor>& sharded, const std::vector<torch::Tensor>& replicated,
                      Communicator& tp, double max_norm);

// The same where some slices are held by several TP ranks (e.g. key/value heads replicated when TP exceeds their
// number): each sharded tensor's squared norm counts with its weight, 1 / (ranks holding that slice).
double clip_grad_norm(const std::vector<torch::Tensor>& sharded, const std::vector<double>& sharded_weights,
                      const std::vector<torch::Tensor>& replicated, Communicator& tp, double max_norm);

// The same over model.parameters(), split by tensor_parallel_parameters(model) (layers.h).
double clip_grad_norm(torch::nn::Module& model, Communicator& tp, double max_norm);

}  // namespace delrec::parallel
