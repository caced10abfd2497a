#pragma once
// A process group: the ranks that run one collective together (the world, a TP group, a DP group). It is the
// Communicator the layers receive; each call goes to the backend that matches the tensor's device: MPI for CPU
// tensors, NCCL for CUDA tensors. The NCCL communicator is created by connect_device(), collectively and up front
// (make_parallel_groups does it for the groups of a layout); a CUDA collective on a group without one is an error.
// A group of one does no communication: every collective returns at once (all_gather returns its input).
#include <mpi.h>

#include <memory>

#include "parallel/communicator.h"
#include "parallel/mpi_communicator.h"

namespace delrec::parallel {

class ProcessGroup : public Communicator {
 public:
  // Takes ownership of `comm` (see MpiCommunicator).
  explicit ProcessGroup(MPI_Comm comm);
  ~ProcessGroup() override;

  int rank() const override { return mpi_.rank(); }
  int size() const override { return mpi_.size(); }

  void all_reduce(torch::Tensor& tensor, ReduceOp op) override;
  torch::Tensor all_gather(const torch::Tensor& tensor) override;
  torch::Tensor reduce_scatter(const torch::Tensor& tensor, ReduceOp op) override;
  void broadcast(torch::Tensor& tensor, int root) override;
  void barrier() override;

  // Collective over this group: creates the NCCL communicator on CUDA device `device_index`. Every rank of the
  // group calls it, on the main thread. A group of one needs none and does nothing.
  void connect_device(int device_index);

  // Collective over this group: a new group of the ranks that pass the same colour, ordered by key.
  std::shared_ptr<ProcessGroup> split(int color, int key) const;

 private:
  Communicator& backend(const torch::Tensor& tensor);

  MpiCommunicator mpi_;
  std::unique_ptr<Communicator> nccl_;
  int nccl_device_ = -1;
};

}  // namespace delrec::parallel
