#include "core/delrec/scoring.h"

#include <algorithm>
#include <string>

#include "core/util/error.h"
#include "parallel/cross_entropy.h"
#include "parallel/mappings.h"

namespace delrec::scoring {
namespace {

void check_token(int64_t id, int64_t vocab, const std::string& where) {
  DELREC_CHECK(id >= 0 && id < vocab,
               "{} is token id {}, outside the vocabulary [0, {}); check that the ids come "
               "from this backbone's tokenizer",
               where, id, vocab);
}

void check_prompt(llm::CausalLm& model, const torch::Tensor& prompt, const char* scorer) {
  DELREC_CHECK(prompt.defined() && prompt.dim() == 3 && prompt.size(0) == 1 && prompt.size(1) > 0 &&
                   prompt.size(2) == model->config().hidden_size,
               "{}: prompt embeddings of shape {} must be (1, positions > 0, hidden_size {}); build them with "
               "scoring::prompt_embeddings",
               scorer, prompt.defined() ? c10::str(prompt.sizes()) : "undefined", model->config().hidden_size);
}

// The logits (V/tp) of this rank's vocabulary slice at the prompt's last position; with `cache` non-null it
// receives the prompt's keys and values.
torch::Tensor last_position_logits(llm::CausalLm& model, const torch::Tensor& prompt, llm::KvCache* cache) {
  torch::Tensor logits = model->forward_embeddings(prompt, nullptr, cache, /*last_positions=*/1);  // (1, 1, V/tp)
  return logits.select(0, 0).select(0, 0);
}

}  // namespace

torch::Tensor prompt_embeddings(llm::CausalLm& model, const torch::Tensor& before_ids, const torch::Tensor& soft_prompt,
                                const torch::Tensor& after_ids) {
  const llm::ModelConfig& config = model->config();
  const torch::ScalarType dtype = model->layers().front()->input_norm->weight.scalar_type();
  std::vector<torch::Tensor> parts;  // each (1, n_i, hidden)
  auto add_text = [&](const torch::Tensor& ids, const char* name) {
    if (!ids.defined() || ids.numel() == 0) return;
    DELREC_CHECK(ids.dim() == 1 && ids.scalar_type() == torch::kInt64,
                 "prompt_embeddings: {} must be 1-D int64 token ids, got shape {} of {}", name, c10::str(ids.sizes()),
                 c10::toString(ids.scalar_type()));
    check_token(ids.min().item<int64_t>(), config.vocab_size, std::string("prompt_embeddings: ") + name);
    check_token(ids.max().item<int64_t>(), config.vocab_size, std::string("prompt_embeddings: ") + name);
    parts.push_back(model->embed(ids.unsqueeze(0)));
  };
  add_text(before_ids, "before_ids");
  if (soft_prompt.defined()) {
    DELREC_CHECK(soft_prompt.dim() == 2 && soft_prompt.size(1) == config.hidden_size,
                 "prompt_embeddings: soft prompt of shape {} must be (n, hidden_size {})",
                 c10::str(soft_prompt.sizes()), config.hidden_size);
    parts.push_back(soft_prompt.to(dtype).unsqueeze(0));
  }
  add_text(after_ids, "after_ids");
  DELREC_CHECK(!parts.empty(), "prompt_embeddings: the prompt is empty (no token ids and no soft prompt)");
  return torch::cat(parts, 1);  // (1, P, hidden)
}

torch::Tensor likelihood_scores(llm::CausalLm& model, const torch::Tensor& prompt_embeddings,
                                const std::vector<std::vector<int64_t>>& candidate_ids) {
  check_prompt(model, prompt_embeddings, "likelihood_scores");
  const int64_t C = static_cast<int64_t>(candidate_ids.size());
  DELREC_CHECK(C > 0, "likelihood_scores: no candidates to score");
  int64_t L = 0;
  for (int64_t c = 0; c < C; ++c) {
    const auto& ids = candidate_ids[c];
    DELREC_CHECK(!ids.empty(), "likelihood_scores: candidate {} has no tokens (an empty title?)", c);
    for (size_t j = 0; j < ids.size(); ++j)
      check_token(ids[j], model->config().vocab_size, fmt::format("likelihood_scores: candidate {} token {}", c, j));
    L = std::max<int64_t>(L, static_cast<int64_t>(ids.size()));
  }
  std::vector<int64_t> first_ids(C), lengths(C);
  for (int64_t c = 0; c < C; ++c) {
    first_ids[c] = candidate_ids[c][0];
    lengths[c] = static_cast<int64_t>(candidate_ids[c].size());
  }
  const torch::Device device = prompt_embeddings.device();
  const auto& tp = model->tp();

  // Token 0 of every candidate is predicted by the prompt's last position, computed once for all C.
  llm::KvCache cache;
  torch::Tensor last = last_position_logits(model, prompt_embeddings, L > 1 ? &cache : nullptr);
  torch::Tensor first = last.to(torch::kFloat32).unsqueeze(0).expand({C, -1});                  // (C, V/tp)
  torch::Tensor nll = parallel::vocab_parallel_cross_entropy(first, torch::tensor(first_ids, torch::kInt64).to(device), tp);  // (C)
  if (L > 1) {
    // Tokens 1..L_c-1 of candidate c are predicted by its positions 0..L_c-2, which attend to the prompt's cached
    // keys and values and causally to each other. The candidates run packed into one row (llm::Packing): the
    // prompt's keys and values are read once, not copied C times, and no padding is computed.
    std::vector<int64_t> inputs, next, positions, segments;
    const int64_t P = cache.length();
    for (int64_t c = 0; c < C; ++c)
      for (int64_t j = 0; j + 1 < lengths[c]; ++j) {
        inputs.push_back(candidate_ids[c][j]);
        next.push_back(candidate_ids[c][j + 1]);
        positions.push_back(P + j);
        segments.push_back(c);
      }
    if (!inputs.empty()) {
      auto ids = [&](const std::vector<int64_t>& v) { return torch::tensor(v, torch::kInt64).to(device); };
      llm::Packing packing{ids(positions), ids(segments)};
      torch::Tensor logits = model->forward_embeddings(model->embed(ids(inputs).unsqueeze(0)), &cache, nullptr, 0,
                                                       &packing);  // (1, N, V/tp)
      torch::Tensor token_nll = parallel::vocab_parallel_cross_entropy(logits.select(0, 0).to(torch::kFloat32),
                                                                       ids(next), tp);  // (N)
      nll = nll + torch::zeros({C}, token_nll.options()).index_add(0, packing.segments, token_nll);
    }
  }
  torch::Tensor count = torch::tensor(lengths, torch::kInt64).to(device, torch::kFloat32);
  return -nll / count;  // (C)
}

torch::Tensor label_scores(llm::CausalLm& model, const torch::Tensor& prompt_embeddings,
                           const std::vector<int64_t>& label_ids) {
  return label_scores(model, std::vector<torch::Tensor>{prompt_embeddings}, label_ids).select(0, 0);
}

torch::Tensor label_scores(llm::CausalLm& model, const std::vector<torch::Tensor>& prompt_embeddings,
                           const std::vector<int64_t>& label_ids) {
  DELREC_CHECK(!prompt_embeddings.empty(), "label_scores: no prompts to score");
  for (const auto& prompt : prompt_embeddings) check_prompt(model, prompt, "label_scores");
  DELREC_CHECK(!label_ids.empty(), "label_scores: no label ids (one per candidate) to score");
  for (size_t c = 0; c < label_ids.size(); ++c)
    check_token(label_ids[c], model->config().vocab_size, fmt::format("label_scores: label {}", c));
  const auto& tp = model->tp();
  // Prompt i's last position in the packed row is the running sum of the lengths up to and including it, less 1.
  std::vector<int64_t> lengths, last_positions;
  int64_t end = 0;
  for (const auto& prompt : prompt_embeddings) {
    lengths.push_back(prompt.size(1));
    end += prompt.size(1);
    last_positions.push_back(end - 1);
  }
  torch::Tensor row = prompt_embeddings.size() == 1 ? prompt_embeddings.front() : torch::cat(prompt_embeddings, 1);
  torch::Tensor last = model->forward_packed(row, lengths, torch::tensor(last_positions, torch::kInt64))
                           .select(0, 0);  // (N, V/tp)
  // Each label is picked on the rank holding it (0 elsewhere) and summed over the group; the sum's backward is
  // the identity, so each rank's slice gets exactly the gradient of its own labels.
  const int64_t local_vocab = last.size(1);
  torch::Tensor local = torch::tensor(label_ids, torch::kInt64).to(last.device()) - tp->rank() * local_vocab;
  torch::Tensor here = (local >= 0) & (local < local_vocab);  // (C)
  torch::Tensor picked = last.index_select(1, local.masked_fill(~here, 0)).masked_fill(~here, 0);  // (N, C)
  return parallel::reduce_from_tp_region(picked.to(torch::kFloat32), tp);  // (N, C)
}

}  // namespace delrec::scoring
