#include "parallel/data_parallel.h"

#include <fmt/format.h>

#include <stdexcept>

namespace delrec::parallel {

DataParallelGradients::DataParallelGradients(std::vector<torch::Tensor> parameters, std::shared_ptr<Communicator> dp,
                                             DataParallelOptions options)
    : parameters_(std::move(parameters)), dp_(std::move(dp)), options_(options) {
  if (options_.bucket_mb() <= 0)
    throw std::invalid_argument(fmt::format("bucket_mb({}) must be positive", options_.bucket_mb()));
  for (const auto& p : parameters_)
    if (!p.requires_grad()) throw std::invalid_argument("DataParallelGradients takes trainable parameters only");
  build_buckets(options_.bucket_mb());
  if (options_.overlap())
    for (size_t i = 0; i < parameters_.size(); ++i)
      hooks_.push_back(parameters_[i].register_hook([this, i](torch::Tensor grad) { on_gradient(i, grad); }));
}

DataParallelGradients::~DataParallelGradients() {
  for (size_t i = 0; i < hooks_.size(); ++i) parameters_[i].remove_hook(hooks_[i]);
}

void DataParallelGradients::build_buckets(double bucket_mb) {
  const auto capacity = static_cast<int64_t>(bucket_mb * 1024 * 1024);
  location_.resize(parameters_.size());
  std::vector<size_t> pending;
  int64_t bytes = 0, numel = 0;
  auto close = [&] {
    if (pending.empty()) return;
    Bucket bucket;
    bucket.members = pending;
    int64_t offset = 0;
    for (size_t m = 0; m < pending.size(); ++m) {
      location_[pending[m]] = {buckets_.size(), m};
      bucket.offsets.push_back(offset);
      offset += parameters_[pending[m]].numel();
    }
    bucket.flat = torch::zeros({numel}, parameters_[pending[0]].options().requires_grad(false));
    buckets_.push_back(std::move(bucket));
    pending.clear();
    bytes = numel = 0;
  };
  // Reverse order: backward produces the last layers' gradients first, so early buckets fill early.
  for (size_t i = parameters_.size(); i-- > 0;) {
    const torch::Tensor& p = parameters_[i];
    // One flat buffer holds one dtype on one device.
    if (!pending.empty() && (p.scalar_type() != parameters_[pending[0]].scalar_type() ||
                             p.device() != parameters_[pending[0]].device()))
      close();
    pending.push_back(i);
    bytes += p.numel() * p.element_size();
    numel += p.numel();
    if (bytes >= capacity) close();
  }
  close();
}

torch::Tensor DataParallelGradients::slot(const Bucket& bucket, size_t member) const {
  const torch::Tensor& p = parameters_[bucket.members[member]];
  return bucket.flat.narrow(0, bucket.offsets[member], p.numel()).view(p.sizes());
}

void DataParallelGradients::write_back(const Bucket& bucket) {
  for (size_t m = 0; m < bucket.members.size(); ++m) {
    torch::Tensor& p = parameters_[bucket.members[m]];
    if (p.grad().defined())
      p.mutable_grad().copy_(slot(bucket, m));
    else
      p.mutable_grad() = slot(bucket, m).clone();
  }
}

void DataParallelGradients::all_reduce_gradients() {
  torch::NoGradGuard no_grad;
  for (Bucket& bucket : buckets_) {
    for (size_t m = 0; m < bucket.members.size(); ++m) {
      const torch::Tensor& grad = parameters_[bucket.members[m]].grad();
      if (grad.defined())
        slot(bucket, m).copy_(grad);
      else
        slot(bucket, m).zero_();
    }
    dp_->all_reduce(bucket.flat, ReduceOp::kAvg);
    write_back(bucket);
  }
}

void DataParallelGradients::on_gradient(size_t param, const torch::Tensor& grad) {
  torch::NoGradGuard no_grad;
  auto [b, m] = location_[param];
  Bucket& bucket = buckets_[b];
  if (bucket.ready == bucket.members.size())
    throw std::logic_error("DataParallelGradients: a second backward before finish_gradient_sync(); call it after "
                           "every backward in overlap mode");
  // The hook runs before autograd accumulates `grad` into .grad, so the bucket takes the sum now.
  torch::Tensor target = slot(bucket, m);
  target.copy_(grad);
  const torch::Tensor& accumulated = parameters_[param].grad();
  if (accumulated.defined()) target.add_(accumulated);
  if (++bucket.ready == bucket.members.size()) dp_->all_reduce(bucket.flat, ReduceOp::kAvg);
}

void DataParallelGradients::finish_gradient_sync() {
  if (!options_.overlap())
    throw std::logic_error("finish_gradient_sync() is for overlap mode; call all_reduce_gradients() instead");
  torch::NoGradGuard no_grad;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    Bucket& bucket = buckets_[b];
    if (bucket.ready != bucket.members.size())
      throw std::runtime_error(fmt::format(
          "bucket {} of {} received gradients for {} of its {} parameters in this backward; parameters without a "
          "gradient need DataParallelOptions().overlap(false) and all_reduce_gradients()",
          b, buckets_.size(), bucket.ready, bucket.members.size()));
    write_back(bucket);
    bucket.ready = 0;
  }
}

}  // namespace delrec::parallel
