#pragma once
// The world: every rank of the job. Constructing a World initialises MPI when nobody has yet, so the same
// program runs under `mpirun`/`srun` and as a lone process (a world of one, through MPI's singleton start).
// MPI is finalised at process exit when World initialised it.
//
// On a machine with GPUs the World also binds this rank to its GPU (local rank modulo the visible GPUs) before any
// other CUDA work, so that NCCL, LibTorch's caching allocator and every kernel of the rank use that one device.
#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

#include "parallel/process_group.h"

namespace delrec::parallel {

class World {
 public:
  World();

  int rank() const { return group_->rank(); }
  int size() const { return group_->size(); }
  // The world as a process group (its collectives span every rank).
  const std::shared_ptr<ProcessGroup>& group() const { return group_; }

  // Collective: the node of every world rank, as an index into node_names() (ranks sharing memory share a node,
  // MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)). Nodes are numbered in the order of their lowest rank.
  // Also where each rank runs, for the record of a job's placement (which node, process and thread count each
  // rank got: what a job spread over nodes by a launcher is checked by).
  struct Nodes {
    std::vector<int> node_of_rank;        // world rank -> node index
    std::vector<std::string> node_names;  // node index -> host name
    std::vector<int> local_rank_of_rank{};  // world rank -> local_rank() there
    std::vector<int> pid_of_rank{};         // world rank -> process id on its node
    std::vector<int> threads_of_rank{};     // world rank -> LibTorch intra-op threads (OMP_NUM_THREADS)
  };
  Nodes nodes() const;

 private:
  std::shared_ptr<ProcessGroup> group_;
};

// This rank's index among the ranks on its node, from the launcher's environment (OMPI_COMM_WORLD_LOCAL_RANK,
// SLURM_LOCALID, MPI_LOCALRANKID, PMI_LOCAL_RANK); 0 for a process started alone.
int local_rank();

// The device this rank computes on: GPU local_rank() modulo the visible GPUs when CUDA is available, else CPU.
torch::Device select_device();

// Total memory of a CUDA device in bytes (what `delrec plan` checks a layout against); 0 for the CPU.
double device_memory_bytes(const torch::Device& device);

// What this build runs on, for `delrec --version`: the LibTorch version, whether CUDA and NCCL were compiled in, and
// how many GPUs this process sees, e.g. "LibTorch 2.11.0, CUDA 13.0 and NCCL 2.28.9 compiled in, 8 GPUs visible".
std::string describe_build();

// Ends the whole job after an error on this rank: with more than one rank, prints `message` and calls MPI_Abort,
// which makes the launcher (mpirun, srun) kill every rank, so that no rank waits forever in a collective for this
// one. Returns (doing nothing) for a world of one or when MPI is not running, so the caller exits as usual.
void abort_job_on_error(const std::string& message, int exit_code);

}  // namespace delrec::parallel
