#include "core/delrec/losses.h"

#include "core/util/error.h"

namespace delrec::stages {

torch::Tensor candidate_cross_entropy(const torch::Tensor& scores, int64_t label) {
  DELREC_CHECK(scores.dim() == 1 && label >= 0 && label < scores.size(0), "label {} outside {} candidate scores",
               label, scores.numel());
  return -torch::log_softmax(scores.to(torch::kFloat32), 0)[label];
}

torch::Tensor teacher_kl(const torch::Tensor& scores, const std::vector<float>& teacher_scores, double temperature) {
  DELREC_CHECK(scores.dim() == 1 && scores.size(0) == static_cast<int64_t>(teacher_scores.size()),
               "{} teacher scores for {} candidates", teacher_scores.size(), scores.numel());
  torch::Tensor t = torch::tensor(teacher_scores, torch::kFloat32).to(scores.device()) / temperature;
  torch::Tensor log_p = torch::log_softmax(t, 0);
  torch::Tensor log_q = torch::log_softmax(scores.to(torch::kFloat32), 0);
  return (log_p.exp() * (log_p - log_q)).sum();
}

}  // namespace delrec::stages
