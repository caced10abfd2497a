#pragma once
// SASRec (Kang & McAuley, "Self-Attentive Sequential Recommendation", ICDM 2018), following the widely used
// PyTorch implementation (pmixer/SASRec.pytorch) in its details: item embeddings scaled by sqrt(hidden) plus
// learned positions, pre-norm queries (the residual is added to the normalised query, not to the input),
// point-wise feed-forward with dropout and a residual, layer norms with eps 1e-8, a final layer norm, Xavier-normal
// initialisation, and the item embedding reused as the output layer.
//
// One deliberate difference: padded positions are masked as attention keys, and positions are counted so that the
// newest item is always at position max_len. Together they make the output independent of the amount of left
// padding (see sequence_model.h), which lets training skip the padding columns.
#include <torch/torch.h>

#include "core/teacher/sequence_model.h"

namespace delrec::teacher {

struct SASRecOptions {
  SASRecOptions(int64_t num_items, int64_t max_len) : num_items_(num_items), max_len_(max_len) {}
  TORCH_ARG(int64_t, num_items);
  TORCH_ARG(int64_t, max_len);
  TORCH_ARG(int64_t, hidden) = 50;
  TORCH_ARG(int64_t, blocks) = 2;
  TORCH_ARG(int64_t, heads) = 1;
  TORCH_ARG(double, dropout) = 0.2;
};

// One block: x = LN1(x); x = x + MHA(q = x_normed, k = v = x_in); x = LN2(x); x = x + FFN(x).
class SASRecBlockImpl : public torch::nn::Cloneable<SASRecBlockImpl> {
 public:
  explicit SASRecBlockImpl(const SASRecOptions& options);
  void reset() override;
  // x (B, T, D), key_mask (B * heads, T, T) float, 0 where a query may attend and -inf where not -> (B, T, D)
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& key_mask);

  SASRecOptions options;
  torch::nn::LayerNorm attn_norm{nullptr}, ffn_norm{nullptr};
  torch::nn::Linear q_proj{nullptr}, kv_proj{nullptr}, out_proj{nullptr}, ffn1{nullptr}, ffn2{nullptr};
};
TORCH_MODULE(SASRecBlock);

class SASRecImpl : public SequenceModelImpl {
 public:
  explicit SASRecImpl(const SASRecOptions& options);
  torch::Tensor forward(const torch::Tensor& seqs) override;  // (B, T) -> (B, T, hidden)
  torch::Tensor output_items() override { return item_emb->weight; }

  SASRecOptions options;
  torch::nn::Embedding item_emb{nullptr}, pos_emb{nullptr};
  torch::nn::ModuleList blocks;
  torch::nn::LayerNorm last_norm{nullptr};
};
TORCH_MODULE(SASRec);

}  // namespace delrec::teacher
