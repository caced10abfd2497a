// All-reduce bus bandwidth of the communicator (MPI on CPU tensors, NCCL on CUDA tensors) from 4 KB to 256 MB,
// next to this machine's memcpy bandwidth measured in the same run (the ceiling for ranks on one host).
//   busbw = algbw * 2 (n - 1) / n,  algbw = bytes / time   (as nccl-tests defines them)
// Run: mpirun -n 4 bench_comm [--device cpu|cuda] [--max-mb 256]
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "parallel/world.h"
#include "core/util/host_runtime.h"

namespace {

using delrec::parallel::ReduceOp;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());
}

// Best of 5 copies of a 256 MB buffer: std::memcpy on the CPU, a device-to-device copy on a GPU. GB/s of bytes copied.
double memcpy_bandwidth(const torch::Device& device) {
  constexpr int64_t kBytes = 256ll << 20;
  auto opts = torch::TensorOptions().dtype(torch::kByte).device(device);
  torch::Tensor src = torch::ones({kBytes}, opts), dst = torch::empty({kBytes}, opts);
  double best = 1e30;
  for (int i = 0; i < 5; ++i) {
    synchronize(device);
    auto start = Clock::now();
    if (device.is_cuda())
      dst.copy_(src);
    else
      std::memcpy(dst.data_ptr(), src.data_ptr(), kBytes);
    synchronize(device);
    best = std::min(best, seconds_since(start));
  }
  return kBytes / best / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  delrec::util::tune_host_runtime();  // docs/teachers.md: allocator and BLAS threads
  std::string device_name = "cpu";
  int64_t max_mb = 256;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--device")
      device_name = argv[i + 1];
    else if (flag == "--max-mb")
      max_mb = std::stoll(argv[i + 1]);
  }
  if (device_name != "cpu" && device_name != "cuda") {
    fmt::print(stderr, "bench_comm: --device must be cpu or cuda, got {}\n", device_name);
    return 2;
  }
  delrec::parallel::World world;
  auto& group = *world.group();
  torch::Device device = device_name == "cuda" ? delrec::parallel::select_device() : torch::Device(torch::kCPU);
  if (device_name == "cuda" && !device.is_cuda()) {
    fmt::print(stderr, "bench_comm: --device cuda, but no GPU is visible\n");
    return 2;
  }
  int n = world.size();

  // Rank 0 measures memcpy alone, so the other ranks do not compete for memory bandwidth.
  double memcpy_gbs = 0;
  if (world.rank() == 0) memcpy_gbs = memcpy_bandwidth(device);
  group.barrier();

  if (world.rank() == 0) {
    fmt::print("all-reduce (sum, float32) over {} ranks on {}; {} memcpy: {:.2f} GB/s\n", n, device.str(),
               device.is_cuda() ? "device-to-device" : "host", memcpy_gbs);
    fmt::print("{:>12} {:>8} {:>12} {:>12} {:>12} {:>10}\n", "bytes", "iters", "time(us)", "algbw(GB/s)",
               "busbw(GB/s)", "busbw/memcpy");
  }
  for (int64_t bytes = 4 << 10; bytes <= (max_mb << 20); bytes *= 4) {
    torch::Tensor buffer = torch::zeros({bytes / 4}, torch::TensorOptions().dtype(torch::kFloat).device(device));
    int iters = static_cast<int>(std::max<int64_t>(3, std::min<int64_t>(100, (512ll << 20) / bytes)));
    for (int i = 0; i < 2; ++i) group.all_reduce(buffer, ReduceOp::kSum);  // warm-up: connections, buffers
    synchronize(device);
    group.barrier();
    auto start = Clock::now();
    for (int i = 0; i < iters; ++i) group.all_reduce(buffer, ReduceOp::kSum);
    synchronize(device);
    // The slowest rank defines the collective's time.
    torch::Tensor elapsed = torch::tensor({seconds_since(start) / iters});
    group.all_reduce(elapsed, ReduceOp::kMax);
    double seconds = elapsed.item<double>();
    double algbw = bytes / seconds / 1e9;
    double busbw = algbw * 2.0 * (n - 1) / n;
    if (world.rank() == 0)
      fmt::print("{:>12} {:>8} {:>12.1f} {:>12.3f} {:>12.3f} {:>10.3f}\n", bytes, iters, seconds * 1e6, algbw, busbw,
                 busbw / memcpy_gbs);
  }
  return 0;
}
