#pragma once
// The NCCL backend: collectives on CUDA tensors, enqueued on LibTorch's current stream of the tensor's device
// (so they are ordered with the kernels around them, and the caller synchronises like for any CUDA op).
// Compiled only when LibTorch has CUDA (DELREC_WITH_NCCL). float32, float64, float16, bfloat16, int32, int64,
// int8 and uint8 tensors are supported.
//
// Watchdog: a collective whose peer died or hangs never completes, and the host would wait for it forever at the
// next synchronisation. A thread of each communicator records a CUDA event after every collective; when one has not
// completed after DELREC_NCCL_TIMEOUT seconds (default 600; 0 switches the watchdog off), or NCCL reports an
// asynchronous error, it prints which collective on which rank, aborts the NCCL communicator (ncclCommAbort frees
// the kernels waiting on it) and ends the job with MPI_Abort.
#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "parallel/communicator.h"

namespace delrec::parallel {

class NcclCommunicator : public Communicator {
 public:
  // Collective over `bootstrap`: its rank 0 creates the NCCL unique id, MPI broadcasts it, and every rank joins
  // with ncclCommInitRank on CUDA device `device_index`. The NCCL ranks are the MPI ranks of `bootstrap`.
  NcclCommunicator(MPI_Comm bootstrap, int device_index);
  ~NcclCommunicator() override;
  NcclCommunicator(const NcclCommunicator&) = delete;
  NcclCommunicator& operator=(const NcclCommunicator&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return size_; }

  void all_reduce(torch::Tensor& tensor, ReduceOp op) override;
  torch::Tensor all_gather(const torch::Tensor& tensor) override;
  torch::Tensor reduce_scatter(const torch::Tensor& tensor, ReduceOp op) override;
  void broadcast(torch::Tensor& tensor, int root) override;
  // Waits until every rank's work queued so far on the current stream is done.
  void barrier() override;

 private:
  void check_tensor(const torch::Tensor& tensor, const char* what) const;
  // Records completion of the collective just enqueued on `stream` for the watchdog.
  void track(const char* what, cudaStream_t stream);
  void watch();
  [[noreturn]] void fail(const std::string& reason);

  ncclComm_t comm_ = nullptr;
  int device_ = 0;
  int rank_ = 0;
  int size_ = 1;

  struct Pending {
    cudaEvent_t done;
    const char* what;
    std::chrono::steady_clock::time_point enqueued;
  };
  double timeout_seconds_ = 600;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;  // oldest first; guarded by mutex_
  bool stopping_ = false;        // guarded by mutex_
  std::thread watchdog_;
};

}  // namespace delrec::parallel
