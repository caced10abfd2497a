#include "parallel/grad_clip.h"

#include <cmath>
#include <unordered_set>

#include "parallel/layers.h"

namespace delrec::parallel {
namespace {

// Sum of squared gradient entries, in float64, as a (1) tensor on `device`.
// Each entry weighted by weights[i] when given.
torch::Tensor squared_norm(const std::vector<torch::Tensor>& params, torch::Device device,
                           const std::vector<double>* weights = nullptr) {
  torch::Tensor total = torch::zeros({1}, torch::TensorOptions().dtype(torch::kDouble).device(device));
  for (size_t i = 0; i < params.size(); ++i)
    if (params[i].grad().defined())
      total += params[i].grad().to(torch::kDouble).pow(2).sum() * (weights ? (*weights)[i] : 1.0);
  return total;
}

}  // namespace

double clip_grad_norm(const std::vector<torch::Tensor>& sharded, const std::vector<torch::Tensor>& replicated,
                      Communicator& tp, double max_norm) {
  return clip_grad_norm(sharded, std::vector<double>(sharded.size(), 1.0), replicated, tp, max_norm);
}

double clip_grad_norm(const std::vector<torch::Tensor>& sharded, const std::vector<double>& sharded_weights,
                      const std::vector<torch::Tensor>& replicated, Communicator& tp, double max_norm) {
  TORCH_CHECK(sharded_weights.size() == sharded.size(), "clip_grad_norm: ", sharded_weights.size(),
              " weights for ", sharded.size(), " sharded tensors");
  torch::NoGradGuard no_grad;
  // The reduction runs on the gradients' device so that NCCL serves CUDA models.
  torch::Device device = torch::kCPU;
  for (const auto* list : {&sharded, &replicated})
    for (const auto& p : *list)
      if (p.grad().defined()) device = p.grad().device();
  torch::Tensor sharded_sq = squared_norm(sharded, device, &sharded_weights);
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
