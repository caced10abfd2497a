#pragma once
// The world: every rank of the job. Constructing a World initialises MPI when nobody has yet, so the same
// program runs under `mpirun`/`srun` and as a lone process (a world of one, through MPI's singleton start).
// MPI is finalised at process exit when World initialised it.
#include <torch/torch.h>

#include <memory>

#include "parallel/process_group.h"

namespace delrec::parallel {

class World {
 public:
  World();

  int rank() const { return group_->rank(); }
  int size() const { return group_->size(); }
  // The world as a process group (its collectives span every rank).
  const std::shared_ptr<ProcessGroup>& group() const { return group_; }

 private:
  std::shared_ptr<ProcessGroup> group_;
};

// This rank's index among the ranks on its node, from the launcher's environment (OMPI_COMM_WORLD_LOCAL_RANK,
// SLURM_LOCALID, MPI_LOCALRANKID, PMI_LOCAL_RANK); 0 for a process started alone.
int local_rank();

// The device this rank computes on: GPU local_rank() modulo the visible GPUs when CUDA is available, else CPU.
torch::Device select_device();

}  // namespace delrec::parallel
