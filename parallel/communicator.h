#pragma once
// One small interface for the collectives the model needs, over torch::Tensor. Backends: MPI (CPU tensors,
// mpi_communicator.h) and NCCL (CUDA tensors, nccl_communicator.h); ProcessGroup (process_group.h) picks one by
// the tensor's device. Every rank of a group calls the same collectives in the same order.
//
// Shapes: all_gather and reduce_scatter work along dim 0, which is how ranks' pieces lie in memory:
//   all_gather:     (d0, ...) on each of n ranks      -> (n * d0, ...), rank r's piece at rows [r*d0, (r+1)*d0)
//   reduce_scatter: (n * d0, ...) on each of n ranks  -> (d0, ...), rank r gets the reduced rows [r*d0, (r+1)*d0)
#include <torch/torch.h>

#include <string>

namespace delrec::parallel {

enum class ReduceOp { kSum, kAvg, kMax };

const char* to_string(ReduceOp op);

class Communicator {
 public:
  virtual ~Communicator() = default;

  virtual int rank() const = 0;
  virtual int size() const = 0;

  // In place on a contiguous tensor: every rank ends with the element-wise reduction over the group.
  virtual void all_reduce(torch::Tensor& tensor, ReduceOp op) = 0;
  virtual torch::Tensor all_gather(const torch::Tensor& tensor) = 0;
  virtual torch::Tensor reduce_scatter(const torch::Tensor& tensor, ReduceOp op) = 0;
  // In place on a contiguous tensor: every rank ends with rank `root`'s values.
  virtual void broadcast(torch::Tensor& tensor, int root) = 0;
  virtual void barrier() = 0;
};

}  // namespace delrec::parallel
