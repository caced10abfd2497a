#include "core/llm/rope.h"

#include <cmath>

namespace delrec::llm {

torch::Tensor rope_inv_freq(const ModelConfig& config, int64_t seq_len) {
  const RopeScaling& s = config.rope_scaling;
  const int64_t dim = config.head_dim;
  double base = config.rope_theta;
  if (s.type == "dynamic" && seq_len > s.original_max_position) {
    // NTK-aware scaling: grow the base with the sequence length beyond the trained context.
    base *= std::pow(s.factor * seq_len / s.original_max_position - (s.factor - 1), double(dim) / (dim - 2));
  }
  torch::Tensor exponent = torch::arange(0, dim, 2, torch::kInt64).to(torch::kFloat32) / static_cast<double>(dim);
  torch::Tensor inv_freq = 1.0 / torch::pow(torch::tensor(base, torch::kFloat32), exponent);
  if (s.type == "linear") return inv_freq / s.factor;
  if (s.type == "llama3") {
    // Long wavelengths are divided by factor, short ones kept, the band between interpolated smoothly.
    const double low_wavelen = s.original_max_position / s.low_freq_factor;
    const double high_wavelen = s.original_max_position / s.high_freq_factor;
    torch::Tensor wavelen = 2 * M_PI / inv_freq;
    torch::Tensor scaled = torch::where(wavelen > low_wavelen, inv_freq / s.factor, inv_freq);
    torch::Tensor smooth = (s.original_max_position / wavelen - s.low_freq_factor) /
                           (s.high_freq_factor - s.low_freq_factor);
    torch::Tensor smoothed = (1 - smooth) * scaled / s.factor + smooth * scaled;
    torch::Tensor medium = (wavelen >= high_wavelen).logical_and(wavelen <= low_wavelen);
    return torch::where(medium, smoothed, scaled);
  }
  return inv_freq;
}

std::pair<torch::Tensor, torch::Tensor> rope_tables(const ModelConfig& config, int64_t seq_len, torch::Dtype dtype,
                                                    torch::Device device) {
  torch::Tensor inv_freq = rope_inv_freq(config, seq_len).to(device);
  torch::Tensor positions = torch::arange(seq_len, torch::TensorOptions().dtype(torch::kFloat32).device(device));
  torch::Tensor freqs = positions.unsqueeze(1) * inv_freq.unsqueeze(0);  // (S, d/2)
  torch::Tensor emb = torch::cat({freqs, freqs}, -1);                    // (S, d)
  return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
  const int64_t half = x.size(-1) / 2;
  torch::Tensor rotated = torch::cat({-x.narrow(-1, half, half), x.narrow(-1, 0, half)}, -1);
  return x * cos + rotated * sin;
}

}  // namespace delrec::llm
