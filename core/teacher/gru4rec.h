#pragma once
// GRU4Rec (Hidasi et al., "Session-based Recommendations with Recurrent Neural Networks", ICLR 2016), trained on
// every position of a sequence like the other teachers. Items are embedded (hidden-sized, padding row 0), passed
// through stacked GRU cells, and scored against the same item embedding (the tied output layer of later GRU4Rec
// versions). The recurrent state is held at zero over left padding, so a sequence's states do not depend on how
// much padding precedes it.
#include <torch/torch.h>

#include "core/teacher/sequence_model.h"

namespace delrec::teacher {

struct GRU4RecOptions {
  explicit GRU4RecOptions(int64_t num_items) : num_items_(num_items) {}
  TORCH_ARG(int64_t, num_items);
  TORCH_ARG(int64_t, hidden) = 100;
  TORCH_ARG(int64_t, layers) = 1;
  TORCH_ARG(double, dropout) = 0.25;
};

class GRU4RecImpl : public SequenceModelImpl {
 public:
  explicit GRU4RecImpl(const GRU4RecOptions& options);
  torch::Tensor forward(const torch::Tensor& seqs) override;  // (B, T) -> (B, T, hidden)
  torch::Tensor output_items() override { return item_emb->weight; }

  GRU4RecOptions options;
  torch::nn::Embedding item_emb{nullptr};
  torch::nn::ModuleList cells;  // GRUCell per layer
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(GRU4Rec);

}  // namespace delrec::teacher
