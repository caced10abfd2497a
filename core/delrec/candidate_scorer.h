#pragma once
// One example's candidates scored by the backbone (core/delrec/scoring.h does the model work):
//   likelihood  the mean log-probability of each candidate's title tokens after the prompt (one pass over the
//               prompt, one batched pass over the C titles reusing its keys and values)
//   label       the logit of each candidate's label token at the answer position
// and the ranking of many examples, split over the data-parallel ranks.
#include <torch/torch.h>

#include <nlohmann/json.hpp>
#include <vector>

#include "core/delrec/prompt_encoder.h"
#include "core/llm/causal_lm.h"
#include "parallel/parallel_groups.h"

namespace delrec::stages {

// (C) float32, identical on every TP rank; differentiable w.r.t. the soft prompt (n, hidden; undefined = none)
// and the adapters.
torch::Tensor score_example(llm::CausalLm& model, const torch::Tensor& soft_prompt,
                            const prompt::TokenizedExample& tokens, const prompt::PromptEncoder& encoder);

// score_example of several examples, in order. With label scoring their prompts run packed into one forward
// (scoring::label_scores of N prompts); likelihood scoring runs them one after another.
std::vector<torch::Tensor> score_examples(llm::CausalLm& model, const torch::Tensor& soft_prompt,
                                          const std::vector<const prompt::TokenizedExample*>& tokens,
                                          const prompt::PromptEncoder& encoder);

// Positions the forward passes process for one example (prompt, soft prompt and answer tokens).
int64_t example_tokens(const prompt::TokenizedExample& tokens, int64_t soft_tokens);

// Rank (1 = best, ties pessimistic) of each example's label among its scores, (N) int64 on every rank. Each DP
// rank scores every dp-th example without gradients, in eval mode; the ranks are summed over the DP group.
torch::Tensor rank_examples(llm::CausalLm& model, const torch::Tensor& soft_prompt, prompt::EncodedExamples& examples,
                            const prompt::PromptEncoder& encoder, const parallel::ParallelGroups& groups);

// {"valid_hr@1", "valid_hr@5", "valid_ndcg@5"} of validation ranks, for the training logs.
nlohmann::json validation_metrics(const torch::Tensor& ranks);

}  // namespace delrec::stages
