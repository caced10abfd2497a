#include "parallel/layers.h"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>

#include "parallel/mappings.h"

namespace delrec::parallel {
namespace {

int64_t shard_size(int64_t size, const Communicator& tp, const char* layer, const char* what) {
  if (size % tp.size() != 0)
    throw std::invalid_argument(fmt::format("{}: {}({}) is not divisible by tp({}); choose a tp that divides it",
                                            layer, what, size, tp.size()));
  return size / tp.size();
}

void check_full_shape(const torch::Tensor& full, at::IntArrayRef expected, const char* layer, const char* what) {
  if (!full.defined() || full.sizes() != expected)
    throw std::invalid_argument(fmt::format("{}::{}: expected the full tensor of shape {}, got {}", layer, what,
                                            c10::str(expected),
                                            full.defined() ? c10::str(full.sizes()) : std::string("undefined")));
}

void copy_slice(torch::Tensor& param, const torch::Tensor& full, int64_t dim, const Communicator& tp) {
  torch::NoGradGuard no_grad;
  param.copy_(tp_slice(full, dim, tp));
}

torch::TensorOptions tensor_options(torch::Dtype dtype, torch::Device device) {
  return torch::TensorOptions().dtype(dtype).device(device);
}

// torch::nn::Linear's default initialisation, over the full fan-in so that it does not depend on tp.
void init_linear(torch::Tensor& weight, torch::Tensor& bias, int64_t in_features) {
  torch::NoGradGuard no_grad;
  double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
  weight.uniform_(-bound, bound);
  if (bias.defined()) bias.uniform_(-bound, bound);
}

}  // namespace

ColumnParallelLinearImpl::ColumnParallelLinearImpl(const ParallelLinearOptions& options,
                                                   std::shared_ptr<Communicator> tp)
    : options(options), tp_(std::move(tp)) {
  reset();
}

void ColumnParallelLinearImpl::reset() {
  int64_t local_out = shard_size(options.out_features(), *tp_, "ColumnParallelLinear", "out_features");
  auto opts = tensor_options(options.dtype(), options.device());
  weight_ = register_parameter("weight", torch::empty({local_out, options.in_features()}, opts));
  bias_ = options.bias() ? register_parameter("bias", torch::empty({local_out}, opts)) : torch::Tensor();
  init_linear(weight_, bias_, options.in_features());
}

torch::Tensor ColumnParallelLinearImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = torch::nn::functional::linear(copy_to_tp_region(x, tp_), weight_, bias_);  // (..., out/tp)
  return options.gather_output() ? gather_from_tp_region(y, tp_) : y;
}

void ColumnParallelLinearImpl::load_full_weight(const torch::Tensor& weight) {
  check_full_shape(weight, {options.out_features(), options.in_features()}, "ColumnParallelLinear",
                   "load_full_weight");
  copy_slice(weight_, weight, 0, *tp_);
}

void ColumnParallelLinearImpl::load_full_bias(const torch::Tensor& bias) {
  if (!bias_.defined())
    throw std::invalid_argument("ColumnParallelLinear::load_full_bias: the layer was built with bias(false)");
  check_full_shape(bias, {options.out_features()}, "ColumnParallelLinear", "load_full_bias");
  copy_slice(bias_, bias, 0, *tp_);
}

RowParallelLinearImpl::RowParallelLinearImpl(const ParallelLinearOptions& options, std::shared_ptr<Communicator> tp)
    : options(options), tp_(std::move(tp)) {
  reset();
}

void RowParallelLinearImpl::reset() {
  int64_t local_in = shard_size(options.in_features(), *tp_, "RowParallelLinear", "in_features");
  auto opts = tensor_options(options.dtype(), options.device());
  weight_ = register_parameter("weight", torch::empty({options.out_features(), local_in}, opts));
  bias_ = options.bias() ? register_parameter("bias", torch::empty({options.out_features()}, opts)) : torch::Tensor();
  init_linear(weight_, bias_, options.in_features());
}

torch::Tensor RowParallelLinearImpl::forward(const torch::Tensor& x) {
  torch::Tensor x_local = options.input_is_parallel() ? x : scatter_to_tp_region(x, tp_);  // (..., in/tp)
  torch::Tensor y = reduce_from_tp_region(torch::nn::functional::linear(x_local, weight_), tp_);  // (..., out)
  return bias_.defined() ? y + bias_ : y;
}

void RowParallelLinearImpl::load_full_weight(const torch::Tensor& weight) {
  check_full_shape(weight, {options.out_features(), options.in_features()}, "RowParallelLinear", "load_full_weight");
  copy_slice(weight_, weight, 1, *tp_);
}

void RowParallelLinearImpl::load_full_bias(const torch::Tensor& bias) {
  if (!bias_.defined())
    throw std::invalid_argument("RowParallelLinear::load_full_bias: the layer was built with bias(false)");
  check_full_shape(bias, {options.out_features()}, "RowParallelLinear", "load_full_bias");
  torch::NoGradGuard no_grad;
  bias_.copy_(bias);
}

VocabParallelEmbeddingImpl::VocabParallelEmbeddingImpl(const VocabParallelEmbeddingOptions& options,
                                                       std::shared_ptr<Communicator> tp)
    : options(options), tp_(std::move(tp)) {
  reset();
}

void VocabParallelEmbeddingImpl::reset() {
  int64_t local_vocab = shard_size(options.num_embeddings(), *tp_, "VocabParallelEmbedding", "num_embeddings");
  vocab_start_ = tp_->rank() * local_vocab;
  vocab_end_ = vocab_start_ + local_vocab;
  weight_ = register_parameter(
      "weight", torch::empty({local_vocab, options.embedding_dim()}, tensor_options(options.dtype(), options.device())));
  torch::NoGradGuard no_grad;
  weight_.normal_();
}

torch::Tensor VocabParallelEmbeddingImpl::forward(const torch::Tensor& ids) {
  if (tp_->size() == 1) return torch::nn::functional::embedding(ids, weight_);
  torch::Tensor outside = (ids < vocab_start_) | (ids >= vocab_end_);  // (...)
  torch::Tensor local_ids = (ids - vocab_start_).masked_fill(outside, 0);
  torch::Tensor partial = torch::nn::functional::embedding(local_ids, weight_);  // (..., d)
  partial = partial.masked_fill(outside.unsqueeze(-1), 0);
  return reduce_from_tp_region(partial, tp_);
}

void VocabParallelEmbeddingImpl::load_full_weight(const torch::Tensor& weight) {
  check_full_shape(weight, {options.num_embeddings(), options.embedding_dim()}, "VocabParallelEmbedding",
                   "load_full_weight");
  copy_slice(weight_, weight, 0, *tp_);
}

std::vector<torch::Tensor> tensor_parallel_parameters(torch::nn::Module& model) {
  std::vector<torch::Tensor> sharded;
  model.apply([&](torch::nn::Module& module) {
    if (auto* column = dynamic_cast<ColumnParallelLinearImpl*>(&module)) {
      sharded.push_back(column->weight());
      if (column->bias().defined()) sharded.push_back(column->bias());
    } else if (auto* row = dynamic_cast<RowParallelLinearImpl*>(&module)) {
      sharded.push_back(row->weight());
    } else if (auto* embedding = dynamic_cast<VocabParallelEmbeddingImpl*>(&module)) {
      sharded.push_back(embedding->weight());
    }
  });
  return sharded;
}

}  // namespace delrec::parallel
