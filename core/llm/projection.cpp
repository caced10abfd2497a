#include "core/llm/projection.h"

#include <cmath>

#include <fmt/ranges.h>

#include "core/util/error.h"
#include "parallel/mappings.h"

namespace delrec::llm {

ProjectionImpl::ProjectionImpl(const ProjectionSpec& spec, std::shared_ptr<parallel::Communicator> tp,
                               torch::Dtype dtype, torch::Device device)
    : spec_(spec), tp_(std::move(tp)), dtype_(dtype), device_(device) {
  if (spec_.column) {
    // The layer's local rows are out_features / tp; asking for row_count * tp gives exactly row_count per rank.
    parallel::ParallelLinearOptions o(spec_.in_features, spec_.row_count * tp_->size());
    column_ = register_module("linear", parallel::ColumnParallelLinear(o.bias(spec_.bias).dtype(dtype).device(device),
                                                                       tp_));
  } else {
    parallel::ParallelLinearOptions o(spec_.in_features, spec_.out_features);
    row_ = register_module("linear", parallel::RowParallelLinear(
                                         o.bias(spec_.bias).input_is_parallel(true).dtype(dtype).device(device), tp_));
  }
}

torch::Tensor ProjectionImpl::forward(const torch::Tensor& x) {
  torch::Tensor y = spec_.column ? column_->forward(x) : row_->forward(x);
  if (!has_lora()) return y;
  const torch::Tensor x32 = lora_input(x.to(torch::kFloat32));
  if (spec_.column) {
    // h = A x is replicated; entering the split region here sums dh over ranks in backward, which gives every
    // rank the full gradient of the replicated A.
    torch::Tensor h = parallel::copy_to_tp_region(torch::matmul(x32, lora_a_.t()), tp_);  // (..., r)
    return (y + lora_scale_ * torch::matmul(h, lora_b_.t())).to(y.scalar_type());        // (..., row_count)
  }
  torch::Tensor h = parallel::reduce_from_tp_region(torch::matmul(x32, lora_a_.t()), tp_);  // (..., r), summed
  return (y + lora_scale_ * torch::matmul(h, lora_b_.t())).to(y.scalar_type());            // (..., out)
}

torch::Tensor ProjectionImpl::lora_input(const torch::Tensor& x) {
  if (!is_training() || lora_dropout_ <= 0) return x;
  std::vector<int64_t> shape = x.sizes().vec();
  shape.back() = spec_.in_features;
  torch::Tensor keep = torch::empty(shape, x.options()).bernoulli_(1.0 - lora_dropout_);
  if (!spec_.column) keep = keep.narrow(-1, tp_->rank() * x.size(-1), x.size(-1));
  return x * keep / (1.0 - lora_dropout_);
}

void ProjectionImpl::load(const Checkpoint& ck, const std::string& name) {
  torch::NoGradGuard no_grad;
  const std::string w = name + ".weight", b = name + ".bias";
  const auto& shape = ck.info(w).shape;
  DELREC_CHECK(shape == (std::vector<int64_t>{spec_.out_features, spec_.in_features}),
               "checkpoint tensor '{}' has shape [{}], the config implies [{}, {}]", w, fmt::join(shape, ", "),
               spec_.out_features, spec_.in_features);
  // copy_ broadcasts: a bias of shape [1] would load as one value repeated, a wrong model without this check.
  if (spec_.bias) {
    const auto& bias_shape = ck.info(b).shape;
    DELREC_CHECK(bias_shape == (std::vector<int64_t>{spec_.out_features}),
                 "checkpoint tensor '{}' has shape [{}], the config implies [{}]", b, fmt::join(bias_shape, ", "),
                 spec_.out_features);
  }
  if (spec_.column) {
    column_->weight().copy_(ck.read_slice(w, 0, spec_.row_start, spec_.row_count));
    if (spec_.bias) column_->bias().copy_(ck.read_slice(b, 0, spec_.row_start, spec_.row_count));
  } else {
    const int64_t local_in = spec_.in_features / tp_->size();
    row_->weight().copy_(ck.read_slice(w, 1, tp_->rank() * local_in, local_in));
    if (spec_.bias) row_->bias().copy_(ck.read(b));
  }
}

void ProjectionImpl::sum_replica_gradients() {
  if (!spec_.column || spec_.replicas == 1) return;
  // A key/value head replicated on `replicas` ranks serves different query heads on each, so each replica's B
  // slice sees only part of the gradient: sum it over the replicas (gather, add up each head's copies).
  auto tp = tp_;
  const int64_t replicas = spec_.replicas, rows = spec_.row_count;
  lora_b_.register_hook([tp, replicas, rows](torch::Tensor grad) {
    torch::Tensor all = tp->all_gather(grad.contiguous());                         // (tp * rows, r)
    torch::Tensor per_head = all.view({-1, replicas, rows, grad.size(1)}).sum(1);  // (tp / replicas, rows, r)
    return per_head[tp->rank() / replicas].contiguous();
  });
}

void ProjectionImpl::attach_lora(int64_t r, double scale) {
  const int64_t in = spec_.column ? spec_.in_features : spec_.in_features / tp_->size();
  const int64_t out = spec_.column ? spec_.row_count : spec_.out_features;
  auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device_);
  torch::Tensor a = torch::empty({r, spec_.in_features}, opts);
  torch::nn::init::kaiming_uniform_(a, std::sqrt(5.0));
  if (!spec_.column) a = a.narrow(1, tp_->rank() * in, in).contiguous();  // every rank draws the same full A
  lora_a_ = register_parameter("lora_A", a);
  lora_b_ = register_parameter("lora_B", torch::zeros({out, r}, opts));
  lora_scale_ = scale;
  sum_replica_gradients();
}

void ProjectionImpl::load_lora(const SafetensorsFile& file, const std::string& key, double scale) {
  const std::string ka = key + ".lora_A.weight", kb = key + ".lora_B.weight";
  const auto& sa = file.info(ka).shape;
  const auto& sb = file.info(kb).shape;
  DELREC_CHECK(sa.size() == 2 && sb.size() == 2 && sa[1] == spec_.in_features && sb[0] == spec_.out_features &&
                   sa[0] == sb[1],
               "{}: '{}' [{}] and '{}' [{}] do not fit a [{}, {}] projection", file.path().string(), ka,
               fmt::join(sa, ", "), kb, fmt::join(sb, ", "), spec_.out_features, spec_.in_features);
  torch::Tensor a, b;
  if (spec_.column) {
    a = file.read(ka);
    b = file.read_slice(kb, 0, spec_.row_start, spec_.row_count);
  } else {
    const int64_t local_in = spec_.in_features / tp_->size();
    a = file.read_slice(ka, 1, tp_->rank() * local_in, local_in);
    b = file.read(kb);
  }
  lora_a_ = register_parameter("lora_A", a.to(device_, torch::kFloat32));
  lora_b_ = register_parameter("lora_B", b.to(device_, torch::kFloat32));
  lora_scale_ = scale;
  sum_replica_gradients();
}

std::pair<torch::Tensor, torch::Tensor> ProjectionImpl::gather_lora() const {
  torch::NoGradGuard no_grad;
  if (spec_.column) {
    torch::Tensor b = tp_->all_gather(lora_b_.detach().contiguous());  // (tp * row_count, r)
    if (spec_.replicas > 1) {
      // Replicated rows appear once per replica: keep the first copy of each block.
      const int64_t r = b.size(1);
      b = b.view({-1, spec_.replicas, spec_.row_count, r}).select(1, 0).reshape({-1, r});
    }
    return {lora_a_.detach(), b};
  }
  torch::Tensor a = tp_->all_gather(lora_a_.detach().t().contiguous()).t();  // (r, in)
  return {a, lora_b_.detach()};
}

}  // namespace delrec::llm
