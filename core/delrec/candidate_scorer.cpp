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
  return score_examples(model, soft_prompt, {&tokens}, encoder).front();
}

std::vector<torch::Tensor> score_examples(llm::CausalLm& model, const torch::Tensor& soft_prompt,
                                          const std::vector<const prompt::TokenizedExample*>& tokens,
                                          const prompt::PromptEncoder& encoder) {
  const auto device = model->parameters().front().device();
  std::vector<torch::Tensor> embeddings;  // each (1, P_i, hidden)
  embeddings.reserve(tokens.size());
  for (const auto* t : tokens)
    embeddings.push_back(
        scoring::prompt_embeddings(model, ids_tensor(t->before, device), soft_prompt, ids_tensor(t->after, device)));
  std::vector<torch::Tensor> scores;  // each (C)
  if (encoder.scoring() == prompt::Scoring::kLabel) {
    if (embeddings.empty()) return scores;
    torch::Tensor all = scoring::label_scores(model, embeddings, encoder.label_ids());  // (N, C)
    for (int64_t i = 0; i < all.size(0); ++i) scores.push_back(all[i]);
    return scores;
  }
  for (size_t i = 0; i < tokens.size(); ++i)
    scores.push_back(scoring::likelihood_scores(model, embeddings[i], tokens[i]->answers));
  return scores;
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
