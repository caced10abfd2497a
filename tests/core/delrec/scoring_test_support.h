#pragma once
// A scoring case on a fixture backbone (prompt text from its reference input ids, a random soft prompt,
// candidates of 1, 3 and 7 tokens, labels spread over the vocabulary) and the scores computed the plain way on a
// TP-1 model: one full forward of prompt + candidate per candidate, log-softmax over the whole vocabulary.
#include <torch/torch.h>

#include <filesystem>
#include <vector>

#include "core/llm/causal_lm.h"
#include "core/llm/safetensors.h"

namespace delrec::test {

struct ScoringCase {
  torch::Tensor before, after;                   // 1-D token ids around the soft prompt
  torch::Tensor soft;                            // (4, hidden), requires grad
  std::vector<std::vector<int64_t>> candidates;  // 1, 3, 7 and 3 tokens
  std::vector<int64_t> labels;                   // one per TP-4 vocabulary quarter and more
};

inline std::vector<int64_t> token_list(const torch::Tensor& ids) {
  torch::Tensor c = ids.contiguous();
  return std::vector<int64_t>(c.data_ptr<int64_t>(), c.data_ptr<int64_t>() + c.numel());
}

inline ScoringCase scoring_case(const std::filesystem::path& fixture, const llm::ModelConfig& config) {
  const torch::Tensor ids = llm::SafetensorsFile(fixture / "reference.safetensors").read("input_ids");  // (2, 17)
  ScoringCase c;
  c.before = ids[0].narrow(0, 0, 6).clone();
  c.after = ids[0].narrow(0, 6, 11).clone();
  torch::manual_seed(7);
  c.soft = (0.1 * torch::randn({4, config.hidden_size})).requires_grad_(true);
  c.candidates = {token_list(ids[1].narrow(0, 3, 1)), token_list(ids[1].narrow(0, 0, 3)),
                  token_list(ids[1].narrow(0, 5, 7)), token_list(ids[1].narrow(0, 12, 3))};
  const int64_t V = config.vocab_size;
  c.labels = {0, V / 4 + 3, V / 2 + 1, 3 * V / 4 + 5, V - 1, V / 4 + 3};
  return c;
}

// [embed(before) ; soft ; embed(after)] (1, P, hidden), written out here independently of scoring.cpp.
inline torch::Tensor plain_prompt(llm::CausalLm& model, const ScoringCase& c) {
  return torch::cat({model->embed(c.before.unsqueeze(0)), c.soft.unsqueeze(0), model->embed(c.after.unsqueeze(0))}, 1);
}

// (C): for each candidate alone, mean_j log_softmax(logits at P-1+j)[token j] of one full forward; TP-1 model.
inline torch::Tensor separate_likelihood(llm::CausalLm& model, const ScoringCase& c) {
  torch::Tensor prompt = plain_prompt(model, c);
  const int64_t P = prompt.size(1);
  std::vector<torch::Tensor> scores;
  for (const auto& candidate : c.candidates) {
    torch::Tensor ids = torch::tensor(candidate, torch::kInt64);
    const int64_t n = ids.size(0);
    torch::Tensor logits = model->forward_embeddings(torch::cat({prompt, model->embed(ids.unsqueeze(0))}, 1));
    torch::Tensor log_probs = torch::log_softmax(logits[0].narrow(0, P - 1, n), -1);  // (n, V)
    scores.push_back(log_probs.gather(1, ids.unsqueeze(1)).mean());
  }
  return torch::stack(scores);
}

// (C): the full logits at the prompt's last position, at the label ids; TP-1 model.
inline torch::Tensor separate_labels(llm::CausalLm& model, const ScoringCase& c) {
  torch::Tensor prompt = plain_prompt(model, c);
  torch::Tensor logits = model->forward_embeddings(prompt);  // (1, P, V)
  return logits[0][prompt.size(1) - 1].index_select(0, torch::tensor(c.labels, torch::kInt64));
}

}  // namespace delrec::test
