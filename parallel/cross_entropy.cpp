#include "parallel/cross_entropy.h"

#include <fmt/format.h>

#include <stdexcept>

namespace delrec::parallel {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// The (N, Vl) float32 work is three passes forward (the row max, a fused log_softmax writing one buffer) and two
// in backward (that buffer turned into the gradient in place; three under TP), instead of materialising z - m,
// exp and softmax separately and cloning in backward: on a 4 x 1024-token batch with SmolLM2's 49k vocabulary
// each pass is 0.8 GB.
struct VocabParallelCrossEntropy : torch::autograd::Function<VocabParallelCrossEntropy> {
  // logits (N, Vl), target (N) -> loss (N)
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor logits, torch::Tensor target,
                               std::shared_ptr<Communicator> tp, int64_t ignore_index) {
    torch::ScalarType out_type = logits.scalar_type();
    torch::Tensor z = logits.to(torch::promote_types(out_type, torch::kFloat));
    int64_t local_vocab = z.size(-1);
    int64_t vocab_start = tp->rank() * local_vocab;

    // This rank's log-softmax and log-sum-exp: lse_r = m - logp[argmax], where logp is within log(Vl) of 0, so
    // the subtraction loses nothing.
    auto [max, argmax] = z.max(-1);                                      // (N)
    torch::Tensor logp = at::log_softmax(z, -1);                         // (N, Vl), this rank's columns only
    torch::Tensor lse_local = max - logp.gather(-1, argmax.unsqueeze(-1)).squeeze(-1);  // (N)
    // The global log-sum-exp from the ranks' ones: M + log sum_r exp(lse_r - M), M = max_r lse_r.
    torch::Tensor lse = lse_local;
    if (tp->size() > 1) {
      torch::Tensor top = lse_local.clone();
      tp->all_reduce(top, ReduceOp::kMax);
      torch::Tensor sum = (lse_local - top).exp().contiguous();
      tp->all_reduce(sum, ReduceOp::kSum);
      lse = top + sum.log();
    }

    torch::Tensor local_target = target - vocab_start;
    torch::Tensor here = (local_target >= 0) & (local_target < local_vocab);  // (N) this rank holds the target
    local_target = local_target.masked_fill(~here, 0);
    torch::Tensor target_logit = z.gather(-1, local_target.unsqueeze(-1)).squeeze(-1).masked_fill(~here, 0);
    tp->all_reduce(target_logit, ReduceOp::kSum);

    torch::Tensor ignored = target == ignore_index;
    torch::Tensor loss = (lse - target_logit).masked_fill(ignored, 0);

    // softmax_v = exp(logp_v - (lse - lse_r)) on this rank's columns; backward makes it in logp's buffer. The
    // shift is 0 on one rank: left undefined, so that backward skips its pass.
    torch::Tensor shift = tp->size() > 1 ? lse - lse_local : torch::Tensor();
    ctx->save_for_backward({logp, shift, local_target, here, ignored});
    ctx->saved_data["dtype"] = static_cast<int64_t>(out_type);
    return loss.to(out_type);
  }

  // d loss_n / d z_v = g_n (softmax_v - [v == t_n]), 0 for ignored rows. Overwrites the saved log-softmax: a
  // second backward through the same graph fails on its version counter instead of reading a gradient.
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto saved = ctx->get_saved_variables();
    torch::Tensor grad = saved[0];  // logp (N, Vl)
    const torch::Tensor& shift = saved[1];
    const torch::Tensor& local_target = saved[2];
    const torch::Tensor& here = saved[3];
    const torch::Tensor& ignored = saved[4];
    torch::Tensor g = grads[0].to(grad.scalar_type()).masked_fill(ignored, 0);  // (N)
    if (shift.defined()) grad.sub_(shift.unsqueeze(-1));
    grad.exp_().mul_(g.unsqueeze(-1));
    grad.scatter_add_(-1, local_target.unsqueeze(-1), (-(g * here.to(g.scalar_type()))).unsqueeze(-1));
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
