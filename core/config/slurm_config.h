#pragma once
// Recipe section `slurm`: how `delrec slurm submit` renders the sbatch script. Command-line flags of
// `delrec slurm submit` (--nodes, --time, ...) override these keys.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/schema.h"

namespace delrec::config {

struct SlurmConfig {
  int64_t nodes = 1;                  // nodes to allocate
  int64_t gpus_per_node = 1;          // GPUs per node = ranks per node (one rank per GPU); 0 = CPU-only job
  int64_t ranks_per_node = 0;         // ranks per node of a CPU-only job; 0 = gpus_per_node (one rank when 0)
  int64_t cpus_per_task = 4;          // CPU cores per rank (data loading, prompt building)
  std::string time = "24:00:00";      // wall-clock limit, Slurm format [days-]hours:minutes:seconds
  std::string partition;              // partition (empty = the cluster's default)
  std::string account;                // account to charge (empty = the user's default)
  std::string qos;                    // quality of service (empty = default)
  std::string launcher = "srun";      // how ranks start inside the allocation: srun or mpirun
  std::string srun_mpi = "pmix";      // srun --mpi plugin that starts the MPI ranks; empty = the cluster's MpiDefault
  std::string signal = "USR1";        // sent before the time limit; must be in checkpoint.requeue_signals
  int64_t signal_lead_seconds = 300;  // the signal this many seconds before the time limit, to save and requeue
  std::vector<std::string> sbatch_options;  // extra sbatch options, e.g. ["--constraint=h100", "--exclusive"]
  std::vector<std::string> env;       // extra environment for the ranks, "NAME=value" (e.g. NCCL_IB_HCA=mlx5)
  bool env_override_process = false;  // allow env names that take over the processes (LD_PRELOAD, PATH, ...)

  // Ranks (sbatch --ntasks-per-node) on each node.
  int64_t tasks_per_node() const { return ranks_per_node > 0 ? ranks_per_node : std::max<int64_t>(1, gpus_per_node); }

  void describe(Schema& s) {
    s.field("nodes", nodes, "nodes to allocate", between(1, 100000));
    s.field("gpus_per_node", gpus_per_node, "GPUs (= ranks) per node; 0 = one CPU rank per node", between(0, 64));
    s.field("ranks_per_node", ranks_per_node,
            "ranks per node; 0 = one per GPU (gpus_per_node), or one for a CPU-only job. Only CPU-only jobs may "
            "set another number",
            between(0, 1024));
    s.field("cpus_per_task", cpus_per_task, "CPU cores per rank", between(1, 1024));
    s.field("time", time, "wall-clock limit, [days-]hours:minutes:seconds");
    s.field("partition", partition, "partition; empty = the cluster's default");
    s.field("account", account, "account to charge; empty = the user's default");
    s.field("qos", qos, "quality of service; empty = default");
    s.choice("launcher", launcher, {"srun", "mpirun"}, "how ranks start inside the allocation");
    s.field("srun_mpi", srun_mpi,
            "srun --mpi plugin that starts the MPI ranks (pmix, pmix_v4, pmi2, ...); empty = the cluster's default");
    s.choice("signal", signal, {"USR1", "USR2"},
             "signal Slurm sends before the time limit (sbatch --signal); SIG<signal> must be in "
             "checkpoint.requeue_signals");
    s.field("signal_lead_seconds", signal_lead_seconds, "the signal this long before the time limit (save + requeue)",
            between(10, 86400));
    s.field("sbatch_options", sbatch_options, "extra sbatch options, e.g. [--constraint=h100]");
    s.field("env", env, "extra environment for the ranks, NAME=value");
    s.field("env_override_process", env_override_process,
            "allow slurm.env names that change what the job runs (LD_PRELOAD, LD_LIBRARY_PATH, PATH, BASH_ENV, ...)");
  }
};

}  // namespace delrec::config
