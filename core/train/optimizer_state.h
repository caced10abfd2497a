#pragma once
// An optimizer's per-parameter state as named tensors, for checkpoints: AdamW (step, exp_avg, exp_avg_sq) and
// Lion (exp_avg). LibTorch keys Optimizer::state() by the parameter's TensorImpl address, as its string form in
// 1.x and as a void* in 2.x; state_key() spells both.
#include <torch/torch.h>

#include <map>
#include <sstream>
#include <string>
#include <type_traits>

namespace delrec::train {

template <class Key>
Key state_key(const torch::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream os;
    os << p.unsafeGetTensorImpl();
    return os.str();
  } else {
    return static_cast<Key>(p.unsafeGetTensorImpl());
  }
}

// {"exp_avg": ..., "exp_avg_sq": ..., "step": (1) int64} for AdamW, {"exp_avg": ...} for Lion; empty before the
// first step.
std::map<std::string, torch::Tensor> get_optimizer_state(torch::optim::Optimizer& optimizer, const torch::Tensor& param);

// Installs what get_optimizer_state returned (tensors are copied to the parameter's device and dtype).
void set_optimizer_state(torch::optim::Optimizer& optimizer, const torch::Tensor& param,
                         const std::map<std::string, torch::Tensor>& state);

}  // namespace delrec::train
