#pragma once
// Caser (Tang & Wang, "Personalized Top-N Sequential Recommendation via Convolutional Sequence Embedding",
// WSDM 2018). The state at position t is computed from the L most recent items (t-L+1..t, zero embeddings before
// the start): n_v vertical filters of size L x 1 (weighted sums over the window, no activation), n_h horizontal
// filters of each height h = 1..L and width d (ReLU, max-pooled over the window), dropout, a fully connected layer
// with ReLU, then a dot product with a separate output item table plus a per-item bias.
//
// The original concatenates a user embedding to the state; the teacher here is a function of the item sequence
// only, so it can score any history (training prefixes, the LLM stages' prompts) without a user table.
#include <torch/torch.h>

#include "core/teacher/sequence_model.h"

namespace delrec::teacher {

struct CaserOptions {
  explicit CaserOptions(int64_t num_items) : num_items_(num_items) {}
  TORCH_ARG(int64_t, num_items);
  TORCH_ARG(int64_t, hidden) = 50;
  TORCH_ARG(int64_t, window) = 5;
  TORCH_ARG(int64_t, vertical) = 4;
  TORCH_ARG(int64_t, horizontal) = 16;
  TORCH_ARG(double, dropout) = 0.5;
};

class CaserImpl : public SequenceModelImpl {
 public:
  explicit CaserImpl(const CaserOptions& options);
  torch::Tensor forward(const torch::Tensor& seqs) override;  // (B, T) -> (B, T, hidden)
  torch::Tensor output_items() override { return out_items->weight; }
  torch::Tensor output_bias() override { return out_bias->weight.squeeze(-1); }

  CaserOptions options;
  torch::nn::Embedding item_emb{nullptr}, out_items{nullptr}, out_bias{nullptr};
  torch::nn::Conv2d conv_v{nullptr};
  torch::nn::ModuleList conv_h;  // Conv2d per height 1..L
  torch::nn::Linear fc{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(Caser);

}  // namespace delrec::teacher
