#pragma once
// Candidate scores read from the backbone after a DELRec prompt; both rank the C candidates of one prompt, and the
// listwise loss is a softmax cross-entropy over them.
//   likelihood_scores: the length-normalised log-likelihood of each candidate's tokens (e.g. its title) after the
//     prompt. The prompt (1, P) runs once and leaves its keys/values in a llm::KvCache; the C continuations run
//     packed into one row (llm::Packing) attending to that cache: the prompt is not run C times, and its keys and
//     values are not copied C times (in forward, or saved for backward).
//   label_scores: the logit of one label token per candidate (e.g. "A".."T") at the prompt's last position.
// Under tensor parallelism the logits stay split over the vocabulary; every rank returns the same scores, and
// backward gives each rank the gradient of its own slice.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "core/llm/causal_lm.h"

namespace delrec::scoring {

// [embed(before_ids) ; soft_prompt (n, hidden) if defined ; embed(after_ids)] -> (1, P, hidden) in the model's
// dtype. ids are 1-D int64 (either may be empty).
torch::Tensor prompt_embeddings(llm::CausalLm& model, const torch::Tensor& before_ids, const torch::Tensor& soft_prompt,
                                const torch::Tensor& after_ids);

// prompt_embeddings (1, P, hidden); candidate_ids C non-empty token sequences. Returns (C) float32 with
// score_c = mean_j log p(cand_c[j] | prompt, cand_c[<j]); the first token is predicted by the prompt's last
// position. Costs one pass over the prompt and, when a candidate has more than one token, one pass over the
// sum over candidates of (L_c - 1) positions, no padding.
torch::Tensor likelihood_scores(llm::CausalLm& model, const torch::Tensor& prompt_embeddings,
                                const std::vector<std::vector<int64_t>>& candidate_ids);

// prompt_embeddings (1, P, hidden); label_ids one vocabulary id per candidate. Returns (C) float32: the logit of
// each label at the prompt's last position. One pass over the prompt.
torch::Tensor label_scores(llm::CausalLm& model, const torch::Tensor& prompt_embeddings,
                           const std::vector<int64_t>& label_ids);

// label_scores of N prompts at once, each (1, P_i, hidden): they run packed into one row of sum P_i positions
// (llm::CausalLm::forward_packed), so the GEMMs see every prompt's rows together and nothing is padded. Returns
// (N, C) float32, row i equal to label_scores of prompt i.
torch::Tensor label_scores(llm::CausalLm& model, const std::vector<torch::Tensor>& prompt_embeddings,
                           const std::vector<int64_t>& label_ids);

}  // namespace delrec::scoring
