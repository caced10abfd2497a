#pragma once
// The MPI backend: collectives on CPU tensors over one MPI communicator. float32, float64, int32 and int64 map to
// MPI types; bfloat16 and float16 are reduced in float32 (MPI has no 16-bit float type) and gathered bitwise.
#include <mpi.h>

#include "parallel/communicator.h"

namespace delrec::parallel {

class MpiCommunicator : public Communicator {
 public:
  // Takes ownership of `comm` (freed on destruction) unless it is MPI_COMM_WORLD or MPI_COMM_SELF.
  explicit MpiCommunicator(MPI_Comm comm);
  ~MpiCommunicator() override;
  MpiCommunicator(const MpiCommunicator&) = delete;
  MpiCommunicator& operator=(const MpiCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  MPI_Comm comm() const { return comm_; }

  void all_reduce(torch::Tensor& tensor, ReduceOp op) override;
  torch::Tensor all_gather(const torch::Tensor& tensor) override;
  torch::Tensor reduce_scatter(const torch::Tensor& tensor, ReduceOp op) override;
  void broadcast(torch::Tensor& tensor, int root) override;
  void barrier() override;

  // Collective over this communicator: ranks with the same colour form one new communicator, ordered by key.
  MPI_Comm split(int color, int key) const;

 private:
  MPI_Comm comm_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace delrec::parallel
