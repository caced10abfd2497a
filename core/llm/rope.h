#pragma once
// Rotary position embeddings as Hugging Face computes them (modeling_rope_utils.py): inverse frequencies
// theta^(-2i/d), rescaled by the config's rope type, applied to the two halves of each head (rotate_half).
#include <torch/torch.h>

#include "core/llm/model_config.h"

namespace delrec::llm {

// (head_dim / 2) float32 inverse frequencies for a sequence of seq_len positions (only "dynamic" depends on it).
torch::Tensor rope_inv_freq(const ModelConfig& config, int64_t seq_len);

// cos and sin tables (S, head_dim) in `dtype` for positions 0..S-1, computed in float32.
std::pair<torch::Tensor, torch::Tensor> rope_tables(const ModelConfig& config, int64_t seq_len, torch::Dtype dtype,
                                                    torch::Device device);

// x (B, heads, S, head_dim) rotated by the tables: x * cos + rotate_half(x) * sin.
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

}  // namespace delrec::llm
