#include "parallel/cross_entropy.h"

#include <fmt/format.h>

#include <stdexcept>

namespace delrec::parallel {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

struct VocabParallelCrossEntropy : torch::autograd::Function<VocabParallelCrossEntropy> {
  // logits (N, Vl), target (N) -> loss (N)
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor logits, torch::Tensor target,
                               std::shared_ptr<Communicator> tp, int64_t ignore_index) {
    torch::ScalarType out_type = logits.scalar_type();
    torch::Tensor z = logits.to(torch::promote_types(out_type, torch::kFloat));
    int64_t local_vocab = z.size(-1);
    int64_t vocab_start = tp->rank() * local_vocab;

    torch::Tensor max = std::get<0>(z.max(-1));  // (N)
    tp->all_reduce(max, ReduceOp::kMax);
    z = z - max.unsqueeze(-1);

    torch::Tensor local_target = target - vocab_start;
    torch::Tensor here = (local_target >= 0) & (local_target < local_vocab);  // (N) this rank holds the target
    local_target = local_target.masked_fill(~here, 0);
    torch::Tensor target_logit = z.gather(-1, local_target.unsqueeze(-1)).squeeze(-1).masked_fill(~here, 0);
    tp->all_reduce(target_logit, ReduceOp::kSum);

    torch::Tensor exp_z = z.exp();                      // (N, Vl)
    torch::Tensor sum_exp = exp_z.sum(-1).contiguous();  // (N)
    tp->all_reduce(sum_exp, ReduceOp::kSum);

    torch::Tensor ignored = target == ignore_index;
    torch::Tensor loss = (sum_exp.log() - target_logit).masked_fill(ignored, 0);

    ctx->save_for_backward({exp_z.div_(sum_exp.unsqueeze(-1)), local_target, here, ignored});
    ctx->saved_data["dtype"] = static_cast<int64_t>(out_type);
    return loss.to(out_type);
  }

  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    torch::Tensor grad = saved[0].clone();  // softmax (N, Vl) over this rank's columns
    const torch::Tensor& local_target = saved[1];
    const torch::Tensor& here = saved[2];
    const torch::Tensor& ignored = saved[3];
    grad.scatter_add_(-1, local_target.unsqueeze(-1), -here.to(grad.scalar_type()).unsqueeze(-1));
    grad.mul_((grads[0].to(grad.scalar_type()) * (~ignored).to(grad.scalar_type())).unsqueeze(-1));
    auto out_type = static_cast<torch::ScalarType>(ctx->saved_data["dtype"].toInt());
    return {grad.to(out_type), torch::Tensor(), torch::Tensor(), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor vocab_parallel_cross_entropy(const torch::Tensor& logits, const torch::Tensor& target,
                                           const std::shared_ptr<Communicator>& tp, int64_t ignore_index) {
  if (logits.dim() < 1 || logits.sizes().slice(0, logits.dim() - 1) != target.sizes())
    throw std::invalid_argument(fmt::format("vocab_parallel_cross_entropy: logits {} must be target {} plus a "
                                            "vocabulary dimension",
                                            c10::str(logits.sizes()), c10::str(target.sizes())));
  torch::Tensor flat_logits = logits.reshape({-1, logits.size(-1)});  // (N, V/tp)
  torch::Tensor loss = VocabParallelCrossEntropy::apply(flat_logits, target.reshape({-1}).to(torch::kLong), tp,
                                                        ignore_index);
  return loss.view(target.sizes());
}

}  // namespace delrec::parallel
