#include "core/delrec/candidate_scorer.h"

#include "core/delrec/scoring.h"
#include "core/eval/metrics.h"

namespace delrec::stages {
namespace {

torch::Tensor ids_tensor(const std::vector<int64_t>& ids, torch::Device device) {
  return torch::tensor(ids, torch::kInt64).to(device);
}

}  // namespace

torch::Tensor score_example(llm::CausalLm& model, const torch::Tensor& soft_prompt,
                            const prompt::TokenizedExample& tokens, const prompt::PromptEncoder& encoder) {
  const auto device = model->parameters().front().device();
  torch::Tensor embeddings = scoring::prompt_embeddings(model, ids_tensor(tokens.before, device), soft_prompt,
                                                        ids_tensor(tokens.after, device));  // (1, P, hidden)
  if (encoder.scoring() == prompt::Scoring::kLabel) return scoring::label_scores(model, embeddings, encoder.label_ids());
  return scoring::likelihood_scores(model, embeddings, tokens.answers);
}

int64_t example_tokens(const prompt::TokenizedExample& tokens, int64_t soft_tokens) {
  int64_t n = static_cast<int64_t>(tokens.before.size() + tokens.after.size()) + soft_tokens;
  for (const auto& a : tokens.answers) n += static_cast<int64_t>(a.size());
  return n;
}

torch::Tensor rank_examples(llm::CausalLm& model, const torch::Tensor& soft_prompt, prompt::EncodedExamples& examples,
                            const prompt::PromptEncoder& encoder, const parallel::ParallelGroups& groups) {
  torch::NoGradGuard no_grad;
  const bool was_training = model->is_training();
  model->eval();
  const int64_t n = static_cast<int64_t>(examples.size());
  const int dp = groups.dp->size(), r = groups.dp->rank();
  torch::Tensor ranks = torch::zeros({n}, torch::kFloat64);  // float64: exact for ranks, any backend reduces it
  for (int64_t i = r; i < n; i += dp) {
    torch::Tensor scores = score_example(model, soft_prompt, examples.at(static_cast<size_t>(i)), encoder).cpu();
    const int64_t label = examples.example(static_cast<size_t>(i)).label;
    // Column 0 must hold the answer for candidate_ranks: swap it there (the order of the others is irrelevant).
    torch::Tensor row = scores.clone();
    row[0] = scores[label];
    row[label] = scores[0];
    ranks[i] = eval::candidate_ranks(row.unsqueeze(0))[0].item<int64_t>();
  }
  groups.dp->all_reduce(ranks, parallel::ReduceOp::kSum);  // a host tensor: the group's CPU backend (MPI)
  model->train(was_training);
  return ranks.to(torch::kInt64);
}

nlohmann::json validation_metrics(const torch::Tensor& ranks) {
  const auto m = eval::ranking_metrics(ranks, {1, 5});
  return {{"valid_hr@1", m.hr.at(1)}, {"valid_hr@5", m.hr.at(5)}, {"valid_ndcg@5", m.ndcg.at(5)}};
}

}  // namespace delrec::stages
