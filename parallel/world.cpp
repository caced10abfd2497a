#include "parallel/world.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <torch/version.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <stdexcept>
#include <string>

#include "parallel/mpi_check.h"

#ifdef DELREC_WITH_NCCL  // built with CUDA
#include <c10/cuda/CUDAFunctions.h>
#include <c10/cuda/CUDAGuard.h>
#include <cuda_runtime_api.h>
#include <nccl.h>
#endif

namespace delrec::parallel {
namespace {

void finalize_mpi_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

void ensure_mpi_initialized() {
  int initialized = 0, finalized = 0;
  DELREC_MPI_CHECK(MPI_Initialized(&initialized));
  DELREC_MPI_CHECK(MPI_Finalized(&finalized));
  if (finalized) throw std::runtime_error("MPI was already finalised in this process; create the World earlier");
  if (initialized) return;
  // The NCCL watchdog and background checkpoint writers call MPI from their own threads.
  int provided = 0;
  DELREC_MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided));
  std::atexit(finalize_mpi_at_exit);
}

// Makes this rank's GPU the current device before anything else touches CUDA: otherwise every rank of a node
// would create a context on GPU 0 (memory lost there, and NCCL refuses two ranks of one communicator on one GPU).
void bind_local_device() {
#ifdef DELREC_WITH_NCCL  // built with CUDA
  const torch::Device device = select_device();
  if (device.is_cuda()) c10::cuda::set_device(device.index());
#endif
}

}  // namespace

World::World() {
  ensure_mpi_initialized();
  group_ = std::make_shared<ProcessGroup>(MPI_COMM_WORLD);
  bind_local_device();
}

World::Nodes World::nodes() const {
  MPI_Comm node_comm;
  DELREC_MPI_CHECK(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank(), MPI_INFO_NULL, &node_comm));
  int lowest = rank();  // the node's lowest world rank names the node
  DELREC_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, &lowest, 1, MPI_INT, MPI_MIN, node_comm));
  DELREC_MPI_CHECK(MPI_Comm_free(&node_comm));
  std::vector<int> lowest_of_rank(static_cast<size_t>(size()));
  DELREC_MPI_CHECK(MPI_Allgather(&lowest, 1, MPI_INT, lowest_of_rank.data(), 1, MPI_INT, MPI_COMM_WORLD));
  char name[MPI_MAX_PROCESSOR_NAME] = {};
  int length = 0;
  DELREC_MPI_CHECK(MPI_Get_processor_name(name, &length));
  std::vector<char> names(static_cast<size_t>(size()) * MPI_MAX_PROCESSOR_NAME);
  DELREC_MPI_CHECK(MPI_Allgather(name, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, names.data(), MPI_MAX_PROCESSOR_NAME,
                                 MPI_CHAR, MPI_COMM_WORLD));
  const int mine[3] = {local_rank(), static_cast<int>(::getpid()), torch::get_num_threads()};
  std::vector<int> all(static_cast<size_t>(size()) * 3);
  DELREC_MPI_CHECK(MPI_Allgather(mine, 3, MPI_INT, all.data(), 3, MPI_INT, MPI_COMM_WORLD));
  Nodes nodes;
  for (int r = 0; r < size(); ++r) {
    nodes.local_rank_of_rank.push_back(all[static_cast<size_t>(r) * 3]);
    nodes.pid_of_rank.push_back(all[static_cast<size_t>(r) * 3 + 1]);
    nodes.threads_of_rank.push_back(all[static_cast<size_t>(r) * 3 + 2]);
  }
  std::map<int, int> index_of_lowest;
  for (int r = 0; r < size(); ++r) {
    auto [it, added] = index_of_lowest.emplace(lowest_of_rank[r], static_cast<int>(index_of_lowest.size()));
    if (added) nodes.node_names.emplace_back(&names[static_cast<size_t>(lowest_of_rank[r]) * MPI_MAX_PROCESSOR_NAME]);
    nodes.node_of_rank.push_back(it->second);
  }
  return nodes;
}

int local_rank() {
  for (const char* name : {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "MPI_LOCALRANKID", "PMI_LOCAL_RANK"}) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') continue;
    try {
      size_t used = 0;
      int rank = std::stoi(value, &used);
      if (used == std::string(value).size() && rank >= 0) return rank;
    } catch (const std::exception&) {
    }
    throw std::runtime_error(fmt::format("{}='{}' is not a local rank (a non-negative integer)", name, value));
  }
  return 0;
}

torch::Device select_device() {
  if (!torch::cuda::is_available()) return torch::kCPU;
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(local_rank() % torch::cuda::device_count()));
}

double device_memory_bytes(const torch::Device& device) {
  if (!device.is_cuda()) return 0;
#ifdef DELREC_WITH_NCCL
  c10::cuda::CUDAGuard guard(device.index());
  size_t free = 0, total = 0;
  if (cudaMemGetInfo(&free, &total) != cudaSuccess)
    throw std::runtime_error(fmt::format("cudaMemGetInfo failed on {}", device.str()));
  return static_cast<double>(total);
#else
  return 0;
#endif
}

std::string describe_build() {
  std::string text = fmt::format("LibTorch {}.{}.{}", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH);
#ifdef DELREC_WITH_NCCL
  text += fmt::format(", CUDA {}.{} and NCCL {}.{}.{} compiled in", CUDART_VERSION / 1000, CUDART_VERSION % 1000 / 10,
                      NCCL_MAJOR, NCCL_MINOR, NCCL_PATCH);
#else
  text += ", CPU only (no CUDA compiled in)";
#endif
  const int gpus = torch::cuda::is_available() ? static_cast<int>(torch::cuda::device_count()) : 0;
  return text + fmt::format(", {} GPU{} visible", gpus, gpus == 1 ? "" : "s");
}

void abort_job_on_error(const std::string& message, int exit_code) {
  int initialized = 0, finalized = 0;
  if (MPI_Initialized(&initialized) != MPI_SUCCESS || !initialized) return;
  if (MPI_Finalized(&finalized) != MPI_SUCCESS || finalized) return;
  int size = 1, rank = 0;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (size <= 1) return;
  std::fprintf(stderr, "delrec: rank %d of %d failed: %s\ndelrec: ending every rank of the job (MPI_Abort)\n", rank,
               size, message.c_str());
  std::fflush(stderr);
  MPI_Abort(MPI_COMM_WORLD, exit_code);
}

}  // namespace delrec::parallel
