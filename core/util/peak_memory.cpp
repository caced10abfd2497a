#include "core/util/peak_memory.h"

#include <c10/core/CPUAllocator.h>
#include <c10/core/impl/alloc_cpu.h>
#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <string>

#ifdef DELREC_WITH_NCCL  // built with CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace delrec::util {
namespace {

// LibTorch's CPU allocator with a count of the bytes it holds. Each block carries its size in a header before the
// data, so that the data pointer is its own context as LibTorch expects of CPU memory (a "simple" data pointer).
class CountingCpuAllocator final : public c10::Allocator {
 public:
  static constexpr size_t kHeader = 64;  // keeps c10's 64-byte alignment of the data

  c10::DataPtr allocate(size_t n) override {
    auto* base = static_cast<char*>(c10::alloc_cpu(n + kHeader));
    *reinterpret_cast<size_t*>(base) = n;
    void* data = base + kHeader;
    const int64_t now = current().fetch_add(static_cast<int64_t>(n)) + static_cast<int64_t>(n);
    for (int64_t peak = peak_bytes().load(); now > peak && !peak_bytes().compare_exchange_weak(peak, now);) {
    }
    return {data, data, &release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &release; }
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }

  static std::atomic<int64_t>& current() {
    static std::atomic<int64_t> bytes{0};
    return bytes;
  }
  static std::atomic<int64_t>& peak_bytes() {
    static std::atomic<int64_t> bytes{0};
    return bytes;
  }
  int64_t held() const { return current().load(); }
  int64_t peak() const { return peak_bytes().load(); }
  void reset_peak() { peak_bytes().store(current().load()); }

 private:
  static void release(void* data) {
    char* base = static_cast<char*>(data) - kHeader;
    current().fetch_sub(static_cast<int64_t>(*reinterpret_cast<size_t*>(base)));
    c10::free_cpu(base);
  }
};

CountingCpuAllocator* counting = nullptr;
int64_t resident_at_reset = 0, allocated_at_reset = 0;

int64_t status_bytes(const char* field) {  // a "Vm...:  123 kB" line of /proc/self/status
  std::ifstream status("/proc/self/status");
  const std::string key = std::string(field) + ":";
  for (std::string line; std::getline(status, line);)
    if (line.rfind(key, 0) == 0) return std::stoll(line.substr(key.size())) * 1024;
  return 0;
}

}  // namespace

void track_cpu_allocations() {
  if (counting) return;
  counting = new CountingCpuAllocator();  // lives as long as the process
  c10::SetCPUAllocator(counting, /*priority=*/100);
}

void reset_peak_memory(const torch::Device& device) {
#ifdef DELREC_WITH_NCCL
  if (device.is_cuda()) {
    c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
    return;
  }
#endif
  (void)device;
  // Freed heap memory goes back to the system first (util::tune_host_runtime keeps up to 1 GiB of it), so that the
  // resident set at the reset is what is live.
  malloc_trim(0);
  std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM to the current RSS (Linux 4.0+)
  resident_at_reset = status_bytes("VmRSS");
  if (counting) {
    counting->reset_peak();
    allocated_at_reset = counting->held();
  }
}

int64_t peak_memory_bytes(const torch::Device& device) {
#ifdef DELREC_WITH_NCCL
  if (device.is_cuda()) {
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
    return stats.allocated_bytes[static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE)].peak;
  }
#endif
  (void)device;
  if (!counting || resident_at_reset == 0) return peak_rss_bytes();
  return resident_at_reset + std::max<int64_t>(0, counting->peak() - allocated_at_reset);
}

int64_t peak_rss_bytes() { return status_bytes("VmHWM"); }

}  // namespace delrec::util
