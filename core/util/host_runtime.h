#pragma once
// Process-wide settings of the host runtime under LibTorch on CPU, applied once at the start of main():
//
//  - glibc malloc keeps freed blocks up to 1 GiB instead of returning them to the kernel. By default every block
//    above a (dynamic) threshold is an mmap of its own, so each training step maps, zero-fills (page faults) and
//    unmaps its activations again: measured on SASRec/MovieLens-100K, one thread, 2.6 s per epoch before, 1.6 s
//    after, half of it system time. Only blocks under 1 GiB are affected; memory freed stays with the process for
//    its next step. Left alone when the user set GLIBC_TUNABLES or a MALLOC_*_ variable.
//  - LibTorch's CPU allocations are counted (util/peak_memory.h), for the peak memory the trainer logs.
//  - OpenBLAS (when it is the BLAS) runs single-threaded: LibTorch parallelises over its own intra-op threads
//    (torch::set_num_threads), and a second pool of OpenBLAS threads spinning beside them oversubscribes the
//    cores (measured: two intra-op threads 2.5 s per epoch with OpenBLAS threads, 1.4 s without). Left alone when
//    OPENBLAS_NUM_THREADS is set.
//
// Nothing here changes a result; docs/teachers.md gives the numbers.
namespace delrec::util {

void tune_host_runtime();

}  // namespace delrec::util
