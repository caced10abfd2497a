#pragma once
// Tensor-parallel layers (Megatron-LM): each rank of the TP group holds a slice of the weight; the mappings in
// mappings.h place the collectives so that the split layer computes exactly what the unsplit one computes.
// Weights follow torch::nn::Linear / Embedding: a full linear weight is (out_features, in_features).
// load_full_weight / load_full_bias take the full tensor (e.g. from a checkpoint) and keep this rank's slice.
// Parameters are initialised like torch::nn::Linear over the full fan-in (uniform in +-1/sqrt(in_features)) and
// like torch::nn::Embedding (standard normal).
#include <torch/torch.h>

#include <memory>
#include <vector>

#include "parallel/communicator.h"

namespace delrec::parallel {

struct ParallelLinearOptions {
  ParallelLinearOptions(int64_t in_features, int64_t out_features)
      : in_features_(in_features), out_features_(out_features) {}
  TORCH_ARG(int64_t, in_features);
  TORCH_ARG(int64_t, out_features);
  TORCH_ARG(bool, bias) = true;
  // ColumnParallelLinear only: all-gather the output to (..., out_features) instead of keeping this rank's columns.
  TORCH_ARG(bool, gather_output) = false;
  // RowParallelLinear only: the input is already split along its last dimension (the output of a
  // ColumnParallelLinear without gather); otherwise it is split here.
  TORCH_ARG(bool, input_is_parallel) = true;
  TORCH_ARG(torch::Dtype, dtype) = torch::kFloat;
  TORCH_ARG(torch::Device, device) = torch::kCPU;
};

// Y = X A^T + b with A (out, in) split along its first (output) dimension: rank r holds A_r (out/tp, in) and
// b_r (out/tp) and computes Y_r = X A_r^T + b_r, its out/tp columns of Y.
//   forward:  copy_to_tp_region(X) (identity; backward all-reduces dX), then optionally gather Y along the last dim.
// Input (..., in); output (..., out/tp), or (..., out) with gather_output.
class ColumnParallelLinearImpl : public torch::nn::Cloneable<ColumnParallelLinearImpl> {
 public:
  ColumnParallelLinearImpl(const ParallelLinearOptions& options, std::shared_ptr<Communicator> tp);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  void load_full_weight(const torch::Tensor& weight);  // (out, in)
  void load_full_bias(const torch::Tensor& bias);      // (out)
  const torch::Tensor& weight() const { return weight_; }  // (out/tp, in)
  const torch::Tensor& bias() const { return bias_; }      // (out/tp), undefined without bias

  ParallelLinearOptions options;

 private:
  std::shared_ptr<Communicator> tp_;
  torch::Tensor weight_, bias_;
};
TORCH_MODULE(ColumnParallelLinear);

// Y = X A^T + b with A (out, in) split along its second (input) dimension: rank r holds A_r (out, in/tp) and the
// matching slice X_r (..., in/tp) of the input, so Y = sum_r X_r A_r^T + b.
//   forward: (scatter X along the last dim unless input_is_parallel), local product, reduce_from_tp_region (sum;
//   backward identity), then the full bias b (out), replicated on every rank and added once after the sum.
// Input (..., in/tp) (or (..., in) without input_is_parallel); output (..., out).
class RowParallelLinearImpl : public torch::nn::Cloneable<RowParallelLinearImpl> {
 public:
  RowParallelLinearImpl(const ParallelLinearOptions& options, std::shared_ptr<Communicator> tp);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& x);

  void load_full_weight(const torch::Tensor& weight);  // (out, in)
  void load_full_bias(const torch::Tensor& bias);      // (out)
  const torch::Tensor& weight() const { return weight_; }  // (out, in/tp)
  const torch::Tensor& bias() const { return bias_; }      // (out), replicated

  ParallelLinearOptions options;

 private:
  std::shared_ptr<Communicator> tp_;
  torch::Tensor weight_, bias_;
};
TORCH_MODULE(RowParallelLinear);

struct VocabParallelEmbeddingOptions {
  VocabParallelEmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  TORCH_ARG(int64_t, num_embeddings);  // vocabulary size V, divisible by tp
  TORCH_ARG(int64_t, embedding_dim);
  TORCH_ARG(torch::Dtype, dtype) = torch::kFloat;
  TORCH_ARG(torch::Device, device) = torch::kCPU;
};

// E (V, d) split along the vocabulary: rank r holds rows [r V/tp, (r+1) V/tp). Each rank looks up the ids in its
// range, writes zeros for the others (masked), and reduce_from_tp_region sums the partial results, so exactly
// one rank contributes each row: out[i] = E[ids[i]].
// Input ids (...) int64; output (..., d).
class VocabParallelEmbeddingImpl : public torch::nn::Cloneable<VocabParallelEmbeddingImpl> {
 public:
  VocabParallelEmbeddingImpl(const VocabParallelEmbeddingOptions& options, std::shared_ptr<Communicator> tp);
  void reset() override;
  torch::Tensor forward(const torch::Tensor& ids);

  void load_full_weight(const torch::Tensor& weight);  // (V, d)
  const torch::Tensor& weight() const { return weight_; }  // (V/tp, d)
  int64_t vocab_start() const { return vocab_start_; }     // first id this rank holds
  int64_t vocab_end() const { return vocab_end_; }         // one past the last

  VocabParallelEmbeddingOptions options;

 private:
  std::shared_ptr<Communicator> tp_;
  int64_t vocab_start_ = 0, vocab_end_ = 0;
  torch::Tensor weight_;
};
TORCH_MODULE(VocabParallelEmbedding);

// The parameters of `model` that are split over the TP group (column-parallel weight and bias, row-parallel
// weight, vocab-parallel embedding); every other parameter is replicated across the TP group.
std::vector<torch::Tensor> tensor_parallel_parameters(torch::nn::Module& model);

}  // namespace delrec::parallel
