#include "core/llm/recompute.h"

#include <ATen/core/ivalue.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

#include "core/util/error.h"

namespace delrec::llm {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The segment and what its rerun needs, kept by the autograd graph until backward.
struct SegmentState : torch::CustomClassHolder {
  Segment fn;
  std::vector<bool> defined;   // which of the caller's inputs were defined (the undefined ones are not passed in)
  torch::Device device{torch::kCPU};
  torch::Tensor rng_state;     // the device generator's state before the first forward
};

// The generator whose draws a segment on `device` makes (LoRA dropout's bernoulli_).
at::Generator generator_of(const torch::Device& device) { return at::globalContext().defaultGenerator(device); }

std::vector<torch::Tensor> with_undefined(const std::vector<bool>& defined, const variable_list& present) {
  std::vector<torch::Tensor> all;
  size_t next = 0;
  for (bool d : defined) all.push_back(d ? present[next++] : torch::Tensor());
  return all;
}

struct RecomputeFunction : torch::autograd::Function<RecomputeFunction> {
  static variable_list forward(AutogradContext* ctx, c10::intrusive_ptr<SegmentState> state, at::TensorList inputs) {
    // Grad mode is off here (Function::apply): fn keeps no graph, the outputs only this node.
    variable_list in(inputs.begin(), inputs.end());
    ctx->save_for_backward(in);
    ctx->saved_data["state"] = c10::IValue::make_capsule(state);
    variable_list out = state->fn(with_undefined(state->defined, in));
    for (auto& t : out)
      DELREC_CHECK(t.defined(), "a recomputed segment returned an undefined tensor; return only defined ones");
    return out;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto state = c10::static_intrusive_pointer_cast<SegmentState>(ctx->saved_data["state"].toCapsule());
    const variable_list saved = ctx->get_saved_variables();
    variable_list inputs;  // fresh leaves for the rerun
    for (size_t i = 0; i < saved.size(); ++i)
      inputs.push_back(saved[i].detach().requires_grad_(ctx->needs_input_grad(i)));  // edges: the tensors alone
    variable_list outputs;
    {
      // The rerun draws what the first forward drew; the generator then continues where it was.
      at::Generator gen = generator_of(state->device);
      const torch::Tensor now = gen.get_state();
      gen.set_state(state->rng_state);
      torch::AutoGradMode grad_on(true);
      try {
        outputs = state->fn(with_undefined(state->defined, inputs));
      } catch (...) {
        gen.set_state(now);
        throw;
      }
      gen.set_state(now);
    }
    DELREC_CHECK(outputs.size() == grads.size(), "a recomputed segment returned {} tensors, its first run {}",
                 outputs.size(), grads.size());
    variable_list roots, root_grads;
    for (size_t i = 0; i < outputs.size(); ++i)
      if (grads[i].defined() && outputs[i].requires_grad()) {
        roots.push_back(outputs[i]);
        root_grads.push_back(grads[i]);
      }
    // Parameters used inside the segment (LoRA) receive their gradients here, the inputs' come back below.
    if (!roots.empty()) torch::autograd::backward(roots, root_grads);
    variable_list result{torch::Tensor()};  // none for the state
    for (auto& t : inputs) result.push_back(t.requires_grad() ? t.grad() : torch::Tensor());
    return result;
  }
};

}  // namespace

Recompute parse_recompute(const std::string& name) {
  if (name == "none") return Recompute::kNone;
  if (name == "full") return Recompute::kFull;
  if (name == "selective") return Recompute::kSelective;
  throw Error(fmt::format("backbone.recompute: unknown value '{}' (use none, full or selective)", name));
}

const char* recompute_name(Recompute r) {
  return r == Recompute::kFull ? "full" : r == Recompute::kSelective ? "selective" : "none";
}

std::vector<torch::Tensor> recomputed(const Segment& fn, const std::vector<torch::Tensor>& inputs) {
  if (!torch::GradMode::is_enabled()) return fn(inputs);
  auto state = c10::make_intrusive<SegmentState>();
  state->fn = fn;
  variable_list present;
  for (const auto& t : inputs) {
    state->defined.push_back(t.defined());
    if (t.defined()) present.push_back(t);
  }
  DELREC_CHECK(!present.empty(), "a recomputed segment needs at least one defined input tensor");
  state->device = present.front().device();
  // A node whose inputs need no gradient is left out of the graph, and so would the parameters inside the segment
  // (stage 2's first layer: frozen embeddings in, LoRA inside). An empty input that requires grad keeps it in;
  // fn never sees it (with_undefined passes the caller's inputs alone).
  const bool any = std::any_of(present.begin(), present.end(), [](const torch::Tensor& t) { return t.requires_grad(); });
  if (!any) present.push_back(torch::empty({0}, torch::TensorOptions().device(state->device)).requires_grad_(true));
  state->rng_state = generator_of(state->device).get_state();
  return RecomputeFunction::apply(state, at::TensorList(present));
}

}  // namespace delrec::llm
