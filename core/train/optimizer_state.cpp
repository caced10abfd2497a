#include "core/train/optimizer_state.h"

#include "core/train/lion.h"
#include "core/util/error.h"

namespace delrec::train {
namespace {

using Key = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;

}  // namespace

std::map<std::string, torch::Tensor> get_optimizer_state(torch::optim::Optimizer& optimizer, const torch::Tensor& p) {
  std::map<std::string, torch::Tensor> out;
  auto it = optimizer.state().find(state_key<Key>(p));
  if (it == optimizer.state().end()) return out;
  if (auto* adam = dynamic_cast<torch::optim::AdamWParamState*>(it->second.get())) {
    out["exp_avg"] = adam->exp_avg();
    out["exp_avg_sq"] = adam->exp_avg_sq();
    out["step"] = torch::tensor({static_cast<int64_t>(adam->step())}, torch::kInt64);
  } else if (auto* lion = dynamic_cast<LionParamState*>(it->second.get())) {
    out["exp_avg"] = lion->exp_avg();
  } else {
    throw Error("checkpoint: unsupported optimizer state (AdamW and Lion only)");
  }
  return out;
}

void set_optimizer_state(torch::optim::Optimizer& optimizer, const torch::Tensor& p,
                         const std::map<std::string, torch::Tensor>& state) {
  if (state.empty()) return;
  auto like = [&](const std::string& name) {
    auto it = state.find(name);
    DELREC_CHECK(it != state.end(), "checkpoint: optimizer state '{}' is missing", name);
    DELREC_CHECK(it->second.sizes() == p.sizes(), "checkpoint: optimizer state '{}' has shape {}, the parameter {}",
                 name, c10::str(it->second.sizes()), c10::str(p.sizes()));
    return it->second.to(p.device(), p.scalar_type()).clone();
  };
  std::unique_ptr<torch::optim::OptimizerParamState> s;
  if (dynamic_cast<Lion*>(&optimizer)) {
    auto lion = std::make_unique<LionParamState>();
    lion->exp_avg(like("exp_avg"));
    s = std::move(lion);
  } else {
    auto adam = std::make_unique<torch::optim::AdamWParamState>();
    adam->exp_avg(like("exp_avg"));
    adam->exp_avg_sq(like("exp_avg_sq"));
    DELREC_CHECK(state.count("step"), "checkpoint: optimizer state 'step' is missing");
    adam->step(state.at("step").item<int64_t>());
    s = std::move(adam);
  }
  optimizer.state()[state_key<Key>(p)] = std::move(s);
}

}  // namespace delrec::train
