#include "core/util/host_runtime.h"

#include "core/util/peak_memory.h"

#include <dlfcn.h>
#include <malloc.h>

#include <cstdlib>
#include <cstring>

extern char** environ;

namespace delrec::util {
namespace {

bool user_tuned_malloc() {
  if (std::getenv("GLIBC_TUNABLES")) return true;
  for (char** e = environ; *e; ++e)
    if (std::strncmp(*e, "MALLOC_", 7) == 0) return true;
  return false;
}

}  // namespace

void tune_host_runtime() {
  static bool done = false;
  if (done) return;
  done = true;
  track_cpu_allocations();
  if (!user_tuned_malloc()) {
    constexpr int kKeep = 1 << 30;  // 1 GiB
    // A fixed mmap threshold also stops glibc from adapting it (M_MMAP_THRESHOLD disables the dynamic one).
    mallopt(M_MMAP_THRESHOLD, kKeep);
    mallopt(M_TRIM_THRESHOLD, kKeep);
  }
  if (!std::getenv("OPENBLAS_NUM_THREADS")) {
    // Looked up at run time: the BLAS behind LibTorch may be OpenBLAS, MKL or another one.
    using SetThreads = void (*)(int);
    if (auto set = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) set(1);
  }
}

}  // namespace delrec::util
