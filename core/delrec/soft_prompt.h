#pragma once
// The soft prompt: n trainable vectors in the backbone's embedding space (n, hidden), replicated on every rank.
// On disk: a safetensors file with one tensor "soft_prompt" (n, hidden) float32 and metadata (hidden size, the
// backbone folder it was trained for), so stage 2 and `delrec eval` can check it fits.
#include <torch/torch.h>

#include <filesystem>
#include <string>

#include "core/config/stage_config.h"
#include "core/llm/causal_lm.h"
#include "core/llm/tokenizer.h"

namespace delrec::stages {

// A new trainable (n, hidden) float32 tensor on the model's device. random: normal with the standard deviation of
// the embedding table (over the whole vocabulary, all TP ranks); text: the embeddings of init_text's tokens,
// cycled to n rows. Uses the default generator (seed it alike on every rank first).
torch::Tensor init_soft_prompt(llm::CausalLm& model, const llm::Tokenizer& tokenizer,
                               const config::Stage1Config& config);

void save_soft_prompt(const torch::Tensor& soft_prompt, const std::filesystem::path& path);
// Loads and checks the width against the model (the error names the file and both sizes).
torch::Tensor load_soft_prompt(const std::filesystem::path& path, const llm::CausalLm& model);

}  // namespace delrec::stages
