#pragma once
// The listwise losses over one example's candidate scores (C), as the method note defines them.
#include <torch/torch.h>

#include <vector>

namespace delrec::stages {

// -log softmax(scores)[label]: the softmax cross-entropy of the answer among the candidates (stage 2, TA, RPS top1).
torch::Tensor candidate_cross_entropy(const torch::Tensor& scores, int64_t label);

// KL(p || q) with p = softmax(teacher_scores / temperature), q = softmax(scores): the RPS distribution target.
// teacher_scores (C) float; the result is 0 exactly when q equals p.
torch::Tensor teacher_kl(const torch::Tensor& scores, const std::vector<float>& teacher_scores, double temperature);

}  // namespace delrec::stages
