#include "core/train/lion.h"

#include "core/train/optimizer_state.h"


namespace delrec::train {

Lion::Lion(std::vector<torch::Tensor> params, LionOptions options)
    : torch::optim::Optimizer({torch::optim::OptimizerParamGroup(std::move(params))},
                              std::make_unique<LionOptions>(options)) {}

torch::Tensor Lion::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure) {
    torch::AutoGradMode enable_grad(true);
    loss = closure();
  }
  for (auto& group : param_groups_) {
    const auto& opt = static_cast<const LionOptions&>(group.options());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const auto& grad = p.grad();
      auto key = state_key<std::decay_t<decltype(state_)>::key_type>(p);
      auto it = state_.find(key);
      if (it == state_.end()) {
        auto state = std::make_unique<LionParamState>();
        state->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        it = state_.emplace(key, std::move(state)).first;
      }
      auto& exp_avg = static_cast<LionParamState&>(*it->second).exp_avg();
      if (opt.weight_decay() != 0) p.mul_(1 - opt.lr() * opt.weight_decay());
      auto direction = exp_avg.mul(opt.beta1()).add_(grad, 1 - opt.beta1()).sign_();
      p.add_(direction, -opt.lr());
      exp_avg.mul_(opt.beta2()).add_(grad, 1 - opt.beta2());
    }
  }
  return loss;
}

}  // namespace delrec::train
