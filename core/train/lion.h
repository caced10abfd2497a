#pragma once
// Lion (EvoLved Sign Momentum; Chen et al., "Symbolic Discovery of Optimization Algorithms", 2023), the optimizer
// DELRec's authors train the soft prompt with. For every parameter p with gradient g and momentum m:
//
//   c = beta1 * m + (1 - beta1) * g          interpolation used only for the update direction
//   p = p * (1 - lr * weight_decay)          decoupled weight decay, as in AdamW
//   p = p - lr * sign(c)                     every coordinate moves by exactly lr
//   m = beta2 * m + (1 - beta2) * g          momentum tracks the gradient more slowly than c
//
// Because the update has unit magnitude per coordinate, Lion wants a learning rate 3-10x smaller than AdamW's.
#include <torch/torch.h>

#include <tuple>
#include <vector>

namespace delrec::train {

struct LionOptions : public torch::optim::OptimizerCloneableOptions<LionOptions> {
  LionOptions(double lr = 1e-4) : lr_(lr) {}
  TORCH_ARG(double, lr);
  TORCH_ARG(double, beta1) = 0.9;
  TORCH_ARG(double, beta2) = 0.99;
  TORCH_ARG(double, weight_decay) = 0.0;

  double get_lr() const override { return lr(); }
  void set_lr(const double lr) override { this->lr(lr); }
};

struct LionParamState : public torch::optim::OptimizerCloneableParamState<LionParamState> {
  TORCH_ARG(torch::Tensor, exp_avg);  // momentum m, same shape as the parameter
};

class Lion : public torch::optim::Optimizer {
 public:
  Lion(std::vector<torch::Tensor> params, LionOptions options);
  torch::Tensor step(LossClosure closure = nullptr) override;
};

}  // namespace delrec::train
