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
#include "core/llm/recompute.h"
#include "parallel/communicator.h"
#include "parallel/layers.h"

namespace delrec::llm {

// Keys and values of positions already run, so that a shared prefix (a prompt) is computed once and its
// continuations attend to it. Per layer, this rank's keys (after RoPE) and values:
// (B or 1, local_kv_heads, P, head_dim), before grouped-query repetition. They stay in the autograd graph, so
// gradients of the continuations flow back into the prefix (soft prompt, LoRA).
struct KvCache {
  std::vector<torch::Tensor> keys, values;
  int64_t length() const { return keys.empty() ? 0 : keys.front().size(2); }
};

// Several short sequences packed into one row of S new positions (batch 1), e.g. the C candidates that continue
// one prompt: new position i belongs to sequence segments[i] and sits at absolute position positions[i]. It attends
// to every position of the past and to the new positions j <= i of its own sequence, so the past's keys and values
// are read once for all sequences instead of being copied per sequence.
struct Packing {
  torch::Tensor positions;  // (S) int64
  torch::Tensor segments;   // (S) int64, each sequence's positions consecutive
};

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
  // x (B, S, hidden) at positions P..P+S-1, cos/sin (S, head_dim) of those positions -> (B, S, hidden).
  // past_key/past_value (B or 1, local_kv_heads, P, head_dim), or undefined for P = 0: every position attends to
  // all P of them and causally to x. When key/value are non-null they receive the P + S positions' keys/values.
  // allowed (S, P + S) bool, when defined, replaces that rule: true where a new position may attend to a key.
  // lengths, when not empty (no past, no allowed), says x holds independent sequences of these lengths (sum S),
  // each attending causally to itself only: attention runs once per sequence, without an (S, S) mask.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                        const torch::Tensor& past_key = {}, const torch::Tensor& past_value = {},
                        torch::Tensor* key = nullptr, torch::Tensor* value = nullptr,
                        const torch::Tensor& allowed = {}, const std::vector<int64_t>& lengths = {});
  void load(const Checkpoint& checkpoint, const std::string& prefix);
  // What backward recomputes instead of keeping (recompute.h); none by default.
  void set_recompute(Recompute recompute) { recompute_ = recompute; }

  RmsNorm input_norm{nullptr}, post_attention_norm{nullptr};
  // Named as in Hugging Face checkpoints (self_attn.q_proj, mlp.gate_proj, ...).
  std::vector<std::pair<std::string, Projection>> projections;

 private:
  torch::Tensor attention(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                          const torch::Tensor& past_key, const torch::Tensor& past_value, torch::Tensor* key,
                          torch::Tensor* value, const torch::Tensor& allowed, const std::vector<int64_t>& lengths);
  // The layer without recomputation; the MLP block h -> h + down(silu(gate(n)) * up(n)), n = norm(h).
  torch::Tensor layer(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                      const torch::Tensor& past_key, const torch::Tensor& past_value, torch::Tensor* key,
                      torch::Tensor* value, const torch::Tensor& allowed, const std::vector<int64_t>& lengths);
  torch::Tensor mlp_block(const torch::Tensor& h);
  Projection& proj(const std::string& name);

  ModelConfig config_;
  int64_t local_heads_, local_kv_heads_;
  Recompute recompute_ = Recompute::kNone;
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
  // The decoder stack and head on input embeddings (B, S, hidden) at positions P..P+S-1, P = past->length()
  // (0 without a past); returns this rank's logits (B, S, V/tp). Each position attends to every position of
  // `past` (a past of batch 1 is shared by the B rows) and causally to the S new ones, so rows that continue a
  // prefix must be right-padded. When `present` is non-null it receives the past's and these positions' keys and
  // values (batch B), ready to be the past of a later call.
  // With last_positions > 0 only the last that many positions get logits (B, last_positions, V/tp): a prompt
  // whose next-token distribution alone is read skips the head's (S, V/tp) work for the rest.
  // With `packing` the batch must be 1 and the S positions hold several sequences (see Packing); a past of batch 1
  // is then shared by all of them, and `present` must be null.
  torch::Tensor forward_embeddings(const torch::Tensor& embeddings, const KvCache* past = nullptr,
                                   KvCache* present = nullptr, int64_t last_positions = 0,
                                   const Packing* packing = nullptr);

  // Independent sequences packed into one row (batch 1, no past), e.g. the prompts of a micro-batch: sequence i is
  // the next lengths[i] of the S positions of embeddings (1, S, hidden), at positions 0..lengths[i]-1, and attends
  // causally to itself only. The projections and the MLP run once over all S rows, without padding; attention runs
  // once per sequence. Returns this rank's logits at the row positions `read` (K) int64 alone: (1, K, V/tp).
  torch::Tensor forward_packed(const torch::Tensor& embeddings, const std::vector<int64_t>& lengths,
                               const torch::Tensor& read);

  // Activation recomputation in every decoder layer (backbone.recompute).
  void set_recompute(Recompute recompute);
  Recompute recompute() const { return recompute_; }

  const ModelConfig& config() const { return config_; }
  const std::shared_ptr<parallel::Communicator>& tp() const { return tp_; }
  std::vector<DecoderLayer>& layers() { return layers_; }

 private:
  // The final norm and the head on hidden states (B, S, hidden) -> this rank's logits (B, S, V/tp).
  torch::Tensor head(const torch::Tensor& h);

  ModelConfig config_;
  std::shared_ptr<parallel::Communicator> tp_;
  torch::TensorOptions options_;
  parallel::VocabParallelEmbedding embed_tokens_{nullptr};
  std::vector<DecoderLayer> layers_;
  RmsNorm norm_{nullptr};
  parallel::ColumnParallelLinear lm_head_{nullptr};  // null when tied to embed_tokens_
  Recompute recompute_ = Recompute::kNone;
};
TORCH_MODULE(CausalLm);

// Reads DIR/config.json, builds the model for this TP group and loads its slices.
CausalLm load_causal_lm(const std::filesystem::path& dir, std::shared_ptr<parallel::Communicator> tp,
                        torch::Dtype dtype = torch::kFloat32, torch::Device device = torch::kCPU);

}  // namespace delrec::llm
