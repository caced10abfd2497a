#pragma once
// The interface every teacher (SASRec, GRU4Rec, Caser) implements: a batch of left-padded item sequences in, one
// state per position out, and items scored against a state by a dot product with the model's output item vectors.
//
// Padding invariance: item 0 is padding and always sits on the left. Each model ignores it exactly (masked
// attention keys, a recurrent state held at zero, zero embeddings in a convolution window), so the state at a real
// position does not depend on how much padding precedes it. Training and evaluation can therefore cut a batch to
// its longest sequence instead of padding everything to max_len.
#include <torch/torch.h>

#include <memory>

#include "core/config/teacher_config.h"

namespace delrec::teacher {

class SequenceModelImpl : public torch::nn::Module {
 public:
  // seqs (B, T) int64, left-padded with 0, T <= max_len. Returns (B, T, D): the state at t summarises
  // seqs[:, :t+1] and predicts seqs[:, t+1]. Causal: it never depends on later positions.
  virtual torch::Tensor forward(const torch::Tensor& seqs) = 0;
  // (num_items + 1, D): the vector each item is scored with (row 0 = padding).
  virtual torch::Tensor output_items() = 0;
  // (num_items + 1) per-item bias, or an undefined tensor when the model has none.
  virtual torch::Tensor output_bias() { return {}; }

  // states (..., D), items (..., K) -> scores (..., K): one state against K items each.
  torch::Tensor score(const torch::Tensor& states, const torch::Tensor& items);
  // states (..., D) -> scores (..., num_items + 1) over the whole catalogue (column 0 = padding).
  torch::Tensor score_all(const torch::Tensor& states);
};

// Builds config.model ("sasrec", "gru4rec", "caser") for items 1..num_items, freshly initialised.
std::shared_ptr<SequenceModelImpl> make_sequence_model(const config::TeacherConfig& config, int64_t num_items);

}  // namespace delrec::teacher
