#include "parallel/grad_clip.h"

#include <cmath>
#include <unordered_set>

#include "parallel/layers.h"

namespace delrec::parallel {
namespace {

// Sum of squared gradient entries, in float64, as a (1) tensor on `device`.
torch::Tensor squared_norm(const std::vector<torch::Tensor>& params, torch::Device device) {
  torch::Tensor total = torch::zeros({1}, torch::TensorOptions().dtype(torch::kDouble).device(device));
  for (const auto& p : params)
    if (p.grad().defined()) total += p.grad().to(torch::kDouble).pow(2).sum();
  return total;
}

}  // namespace

double clip_grad_norm(const std::vector<torch::Tensor>& sharded, const std::vector<torch::Tensor>& replicated,
                      Communicator& tp, double max_norm) {
  torch::NoGradGuard no_grad;
  // The reduction runs on the gradients' device so that NCCL serves CUDA models.
  torch::Device device = torch::kCPU;
  for (const auto* list : {&sharded, &replicated})
    for (const auto& p : *list)
      if (p.grad().defined()) device = p.grad().device();
  torch::Tensor sharded_sq = squared_norm(sharded, device);
  tp.all_reduce(sharded_sq, ReduceOp::kSum);
  double norm = std::sqrt((sharded_sq + squared_norm(replicated, device)).item<double>());
  double scale = max_norm / (norm + 1e-6);
  if (scale < 1.0)
    for (const auto* list : {&sharded, &replicated})
      for (const auto& p : *list)
        if (p.grad().defined()) p.grad().mul_(scale);
  return norm;
}

double clip_grad_norm(torch::nn::Module& model, Communicator& tp, double max_norm) {
  std::vector<torch::Tensor> sharded = tensor_parallel_parameters(model);
  std::unordered_set<const void*> is_sharded;
  for (const auto& p : sharded) is_sharded.insert(p.unsafeGetTensorImpl());
  std::vector<torch::Tensor> replicated;
  for (const auto& p : model.parameters())
    if (!is_sharded.count(p.unsafeGetTensorImpl())) replicated.push_back(p);
  return clip_grad_norm(sharded, replicated, tp, max_norm);
}

}  // namespace delrec::parallel
