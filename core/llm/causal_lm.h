#pragma once
// The Llama-family decoder (Llama, Mistral, Qwen2) on tensor-parallel layers:
//   embed (vocab-parallel) -> [soft prompt ; token embeddings] -> L x (RMSNorm -> attention -> residual,
//   RMSNorm -> SwiGLU MLP -> residual) -> RMSNorm -> lm_head (vocab-parallel, or the embedding when tied).
// Attention heads are split over the TP group: rank r holds query heads [r H/tp, (r+1) H/tp) and the key/value
// heads they use; when TP exceeds the number of key/value heads, each of those is replicated on tp/kv ranks.
// Base weights are frozen; only soft prompts and LoRA adapters train.
#include <torch/torch.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/llm/model_config.h"
#include "core/llm/projection.h"
#include "parallel/communicator.h"
#include "parallel/layers.h"

namespace delrec::llm {

// x * rsqrt(mean(x^2) + eps) * weight, computed in float32 and cast back, as Hugging Face does.
class RmsNormImpl : public torch::nn::Module {
 public:
  RmsNormImpl(int64_t dim, double eps, torch::TensorOptions options);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight;

 private:
  double eps_;
};
TORCH_MODULE(RmsNorm);

class DecoderLayerImpl : public torch::nn::Module {
 public:
  DecoderLayerImpl(const ModelConfig& config, std::shared_ptr<parallel::Communicator> tp, torch::TensorOptions options);
  // x (B, S, hidden), cos/sin (S, head_dim) -> (B, S, hidden)
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
  void load(const Checkpoint& checkpoint, const std::string& prefix);

  RmsNorm input_norm{nullptr}, post_attention_norm{nullptr};
  // Named as in Hugging Face checkpoints (self_attn.q_proj, mlp.gate_proj, ...).
  std::vector<std::pair<std::string, Projection>> projections;

 private:
  torch::Tensor attention(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);
  Projection& proj(const std::string& name);

  ModelConfig config_;
  int64_t local_heads_, local_kv_heads_;
};
TORCH_MODULE(DecoderLayer);

class CausalLmImpl : public torch::nn::Module {
 public:
  // An initialised-but-random model; `load` fills it. dtype is the compute dtype (weights are cast on load).
  CausalLmImpl(const ModelConfig& config, std::shared_ptr<parallel::Communicator> tp, torch::Dtype dtype,
               torch::Device device);

  // Reads this rank's slices of every weight from the checkpoint folder.
  void load(const std::filesystem::path& dir);

  // ids (B, T) int64; soft_prompt (n, hidden) shared by the batch, or (B, n, hidden), or undefined.
  // Returns this rank's vocabulary slice of the logits, (B, n + T, V/tp) (gather with
  // parallel::gather_from_tp_region, or feed parallel::vocab_parallel_cross_entropy directly).
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& soft_prompt = {});

  // Token embeddings (B, T, hidden), e.g. to build prompts mixing text and soft tokens.
  torch::Tensor embed(const torch::Tensor& ids);
  // The decoder stack and head on given input embeddings (B, S, hidden); positions 0..S-1.
  torch::Tensor forward_embeddings(const torch::Tensor& embeddings);

  const ModelConfig& config() const { return config_; }
  const std::shared_ptr<parallel::Communicator>& tp() const { return tp_; }
  std::vector<DecoderLayer>& layers() { return layers_; }

 private:
  ModelConfig config_;
  std::shared_ptr<parallel::Communicator> tp_;
  torch::TensorOptions options_;
  parallel::VocabParallelEmbedding embed_tokens_{nullptr};
  std::vector<DecoderLayer> layers_;
  RmsNorm norm_{nullptr};
  parallel::ColumnParallelLinear lm_head_{nullptr};  // null when tied to embed_tokens_
};
TORCH_MODULE(CausalLm);

// Reads DIR/config.json, builds the model for this TP group and loads its slices.
CausalLm load_causal_lm(const std::filesystem::path& dir, std::shared_ptr<parallel::Communicator> tp,
                        torch::Dtype dtype = torch::kFloat32, torch::Device device = torch::kCPU);

}  // namespace delrec::llm
