#pragma once
// Peak memory of this rank since the last reset, as `delrec plan` predicts it: what LibTorch has allocated at its
// largest, on top of what was resident when the count restarted. On a GPU that is the caching allocator's
// max_memory_allocated. On the CPU, LibTorch's allocations are counted by a wrapper around its CPU allocator
// (installed by util::tune_host_runtime at start), added to the resident set at the reset; the resident-set
// high-water mark itself (VmHWM) is reported beside it, since it also holds what the C library's heap keeps in
// freed fragments. The trainer resets both when a stage starts training, after the backbone is loaded, and logs
// them with every step (metrics.jsonl: peak_memory_bytes, peak_rss_bytes).
#include <torch/torch.h>

#include <cstdint>

namespace delrec::util {

// Counts LibTorch's CPU allocations from now on (idempotent; util::tune_host_runtime calls it).
void track_cpu_allocations();

void reset_peak_memory(const torch::Device& device);
int64_t peak_memory_bytes(const torch::Device& device);  // 0 where it cannot be read
int64_t peak_rss_bytes();                                 // VmHWM since the reset; 0 where it cannot be read

}  // namespace delrec::util
