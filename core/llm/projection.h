#pragma once
// One linear projection of the decoder (q/k/v/o, gate/up/down), split over the TP group, with an optional LoRA
// adapter split consistently with it:
//   column-parallel base W (out, in), rank holds rows [row_start, row_start + row_count):
//       y_local = x W_local^T + s * B_local (A x),  A (r, in) replicated, B_local its rows of B (out, r)
//   row-parallel base W (out, in), rank holds columns [rank*in/tp, (rank+1)*in/tp) of W and of A:
//       y = sum_ranks x_local W_local^T + s * B (sum_ranks A_local x_local),  B (out, r) replicated
// with s = alpha / r. Checkpoint tensors are read slice by slice, so a rank never holds the full weight.
// The adapter's parameters (and so their gradients and optimizer state) are float32 whatever the base dtype, as
// PEFT keeps them: a bfloat16 A or B would round away most small updates. The adapter path computes in float32 and
// its sum with the base output is cast back to the base dtype.
#include <torch/torch.h>

#include <memory>
#include <string>

#include "core/llm/checkpoint.h"
#include "parallel/communicator.h"
#include "parallel/layers.h"

namespace delrec::llm {

struct ProjectionSpec {
  bool column = true;  // column-parallel (split output rows) or row-parallel (split input columns)
  int64_t in_features = 0, out_features = 0;  // of the full weight
  bool bias = false;
  // Column only: the rows of the full weight this rank holds. Ranks usually hold disjoint equal blocks; key/value
  // heads are replicated on `replicas` consecutive ranks when TP exceeds their number.
  int64_t row_start = 0, row_count = 0;
  int64_t replicas = 1;
};

class ProjectionImpl : public torch::nn::Module {
 public:
  ProjectionImpl(const ProjectionSpec& spec, std::shared_ptr<parallel::Communicator> tp, torch::Dtype dtype,
                 torch::Device device);

  // x (..., in) for column, (..., in/tp) for row; returns (..., row_count) for column, (..., out) for row.
  torch::Tensor forward(const torch::Tensor& x);

  // Reads `<name>.weight` (and `.bias`) slices from the checkpoint.
  void load(const Checkpoint& checkpoint, const std::string& name);

  // A new trainable adapter of rank r: A ~ kaiming-uniform, B = 0 (PEFT's initialisation: the delta starts at 0).
  void attach_lora(int64_t r, double scale);
  // Dropout on the adapter's input while training (PEFT's lora_dropout). The mask is drawn over the full input
  // width from the default generator, which every TP rank seeds alike and calls alike, so all ranks drop the same
  // features of the same token; a row-parallel projection keeps its slice of the mask.
  void set_lora_dropout(double p) { lora_dropout_ = p; }
  // Reads this rank's slices of A (r, in) and B (out, r) from tensors named `<key>.lora_A.weight` /
  // `<key>.lora_B.weight`.
  void load_lora(const SafetensorsFile& file, const std::string& key, double scale);
  bool has_lora() const { return lora_a_.defined(); }
  // This rank's adapter tensors: column A (r, in) replicated and B (row_count, r) split along dim 0 (held by
  // spec().replicas ranks alike); row A (r, in/tp) split along dim 1 and B (out, r) replicated.
  const torch::Tensor& lora_a() const { return lora_a_; }
  const torch::Tensor& lora_b() const { return lora_b_; }
  // The full A (r, in) and B (out, r), gathered over the TP group (collective: every rank calls it).
  std::pair<torch::Tensor, torch::Tensor> gather_lora() const;

  const ProjectionSpec& spec() const { return spec_; }

 private:
  void sum_replica_gradients();
  torch::Tensor lora_input(const torch::Tensor& x);

  ProjectionSpec spec_;
  std::shared_ptr<parallel::Communicator> tp_;
  torch::Dtype dtype_;
  torch::Device device_;
  parallel::ColumnParallelLinear column_{nullptr};
  parallel::RowParallelLinear row_{nullptr};
  torch::Tensor lora_a_, lora_b_;  // column: A (r, in), B (row_count, r); row: A (r, in/tp), B (out, r)
  double lora_scale_ = 0.0;
  double lora_dropout_ = 0.0;
};
TORCH_MODULE(Projection);

}  // namespace delrec::llm
