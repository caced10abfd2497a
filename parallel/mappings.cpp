#include "parallel/mappings.h"

#include <fmt/format.h>

#include <stdexcept>

namespace delrec::parallel {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

// Autograd contexts keep the group alive in a capsule until backward has run.
struct GroupHolder : torch::CustomClassHolder {
  explicit GroupHolder(std::shared_ptr<Communicator> group) : group(std::move(group)) {}
  std::shared_ptr<Communicator> group;
};

void save_group(AutogradContext* ctx, const std::shared_ptr<Communicator>& group) {
  ctx->saved_data["group"] = c10::IValue::make_capsule(c10::make_intrusive<GroupHolder>(group));
}

Communicator& saved_group(AutogradContext* ctx) {
  return *static_cast<GroupHolder*>(ctx->saved_data["group"].toCapsule().get())->group;
}

torch::Tensor all_reduce_copy(const torch::Tensor& x, Communicator& group) {
  if (group.size() == 1) return x;
  torch::Tensor out = x.clone(at::MemoryFormat::Contiguous);
  group.all_reduce(out, ReduceOp::kSum);
  return out;
}

// (..., k) on each rank -> (..., n * k), rank r's piece at [r*k, (r+1)*k).
torch::Tensor all_gather_last_dim(const torch::Tensor& x, Communicator& group) {
  if (group.size() == 1) return x;
  torch::Tensor gathered = group.all_gather(x.contiguous());  // (n * d0, ..., k)
  return torch::cat(gathered.chunk(group.size(), 0), -1);
}

struct CopyToTpRegion : torch::autograd::Function<CopyToTpRegion> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, std::shared_ptr<Communicator> group) {
    save_group(ctx, group);
    return x;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {all_reduce_copy(grads[0], saved_group(ctx)), torch::Tensor()};
  }
};

struct ReduceFromTpRegion : torch::autograd::Function<ReduceFromTpRegion> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, std::shared_ptr<Communicator> group) {
    return all_reduce_copy(x, *group);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) { return {grads[0], torch::Tensor()}; }
};

struct GatherFromTpRegion : torch::autograd::Function<GatherFromTpRegion> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, std::shared_ptr<Communicator> group) {
    save_group(ctx, group);
    return all_gather_last_dim(x, *group);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {tp_slice(grads[0], -1, saved_group(ctx)), torch::Tensor()};
  }
};

struct ScatterToTpRegion : torch::autograd::Function<ScatterToTpRegion> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, std::shared_ptr<Communicator> group) {
    save_group(ctx, group);
    return tp_slice(x, -1, *group);
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    return {all_gather_last_dim(grads[0], saved_group(ctx)), torch::Tensor()};
  }
};

}  // namespace

torch::Tensor tp_slice(const torch::Tensor& x, int64_t dim, const Communicator& tp) {
  if (tp.size() == 1) return x;
  int64_t size = x.size(dim);
  if (size % tp.size() != 0)
    throw std::invalid_argument(fmt::format("cannot split dimension {} of size {} (shape {}) over tp({}): the size "
                                            "must be divisible by tp",
                                            dim, size, c10::str(x.sizes()), tp.size()));
  return x.chunk(tp.size(), dim)[tp.rank()].contiguous();
}

torch::Tensor copy_to_tp_region(const torch::Tensor& x, const std::shared_ptr<Communicator>& tp) {
  return CopyToTpRegion::apply(x, tp);
}

torch::Tensor reduce_from_tp_region(const torch::Tensor& x, const std::shared_ptr<Communicator>& tp) {
  return ReduceFromTpRegion::apply(x, tp);
}

torch::Tensor gather_from_tp_region(const torch::Tensor& x, const std::shared_ptr<Communicator>& tp) {
  return GatherFromTpRegion::apply(x, tp);
}

torch::Tensor scatter_to_tp_region(const torch::Tensor& x, const std::shared_ptr<Communicator>& tp) {
  return ScatterToTpRegion::apply(x, tp);
}

}  // namespace delrec::parallel
