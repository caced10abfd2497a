#include "parallel/world.h"

#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

#include "parallel/mpi_check.h"

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
  // Autograd may run collectives from its device threads (NCCL set-up), so ask for full thread support.
  int provided = 0;
  DELREC_MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_MULTIPLE, &provided));
  std::atexit(finalize_mpi_at_exit);
}

}  // namespace

World::World() {
  ensure_mpi_initialized();
  group_ = std::make_shared<ProcessGroup>(MPI_COMM_WORLD);
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

}  // namespace delrec::parallel
