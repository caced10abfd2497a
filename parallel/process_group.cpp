#include "parallel/process_group.h"

#include <fmt/format.h>

#include <stdexcept>

#ifdef DELREC_WITH_NCCL
#include "parallel/nccl_communicator.h"
#endif

namespace delrec::parallel {

ProcessGroup::ProcessGroup(MPI_Comm comm) : mpi_(comm) {}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::connect_device(int device_index) {
  if (size() == 1) return;
#ifdef DELREC_WITH_NCCL
  if (nccl_) {
    if (nccl_device_ != device_index)
      throw std::invalid_argument(fmt::format("process group already has an NCCL communicator on cuda:{}, not cuda:{}",
                                              nccl_device_, device_index));
    return;
  }
  nccl_ = std::make_unique<NcclCommunicator>(mpi_.comm(), device_index);
  nccl_device_ = device_index;
#else
  throw std::invalid_argument(fmt::format(
      "cannot use cuda:{}: this delrec was built without CUDA; rebuild against a CUDA LibTorch", device_index));
#endif
}

Communicator& ProcessGroup::backend(const torch::Tensor& tensor) {
  if (!tensor.is_cuda()) return mpi_;
  if (!nccl_)
    throw std::logic_error(fmt::format(
        "a collective got a tensor on {} but this group of {} ranks has no NCCL communicator; create the groups "
        "with make_parallel_groups on the rank's device (it connects them up front)",
        tensor.device().str(), size()));
  return *nccl_;
}

void ProcessGroup::all_reduce(torch::Tensor& tensor, ReduceOp op) {
  if (size() == 1) return;
  backend(tensor).all_reduce(tensor, op);
}

torch::Tensor ProcessGroup::all_gather(const torch::Tensor& tensor) {
  if (size() == 1) return tensor.dim() == 0 ? tensor.reshape({1}) : tensor;
  return backend(tensor).all_gather(tensor);
}

torch::Tensor ProcessGroup::reduce_scatter(const torch::Tensor& tensor, ReduceOp op) {
  if (size() == 1) return tensor;
  return backend(tensor).reduce_scatter(tensor, op);
}

void ProcessGroup::broadcast(torch::Tensor& tensor, int root) {
  if (size() == 1) return;
  backend(tensor).broadcast(tensor, root);
}

void ProcessGroup::barrier() {
  if (size() == 1) return;
  // A barrier orders host execution; MPI serves it even when the tensors live on GPUs.
  mpi_.barrier();
}

std::shared_ptr<ProcessGroup> ProcessGroup::split(int color, int key) const {
  return std::make_shared<ProcessGroup>(mpi_.split(color, key));
}

}  // namespace delrec::parallel
