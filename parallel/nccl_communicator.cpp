#include "parallel/nccl_communicator.h"

#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#include <cuda_runtime.h>
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>

#include "parallel/mpi_check.h"

namespace delrec::parallel {
namespace {

int world_rank() {
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

void check_nccl(ncclResult_t result, ncclComm_t comm, const char* call, const char* file, int line) {
  if (result == ncclSuccess) return;
  const char* detail = comm != nullptr ? ncclGetLastError(comm) : "";
  throw std::runtime_error(fmt::format("{} failed at {}:{} on rank {}: {} {} (NCCL {}.{}; rerun with NCCL_DEBUG=WARN "
                                       "for NCCL's own log)",
                                       call, file, line, world_rank(), ncclGetErrorString(result), detail, NCCL_MAJOR,
                                       NCCL_MINOR));
}

void check_cuda(cudaError_t result, const char* call, const char* file, int line) {
  if (result == cudaSuccess) return;
  throw std::runtime_error(fmt::format("{} failed at {}:{} on rank {}: {} ({})", call, file, line, world_rank(),
                                       cudaGetErrorString(result), cudaGetErrorName(result)));
}

#define DELREC_NCCL_CHECK(call) check_nccl((call), comm_, #call, __FILE__, __LINE__)
#define DELREC_CUDA_CHECK(call) check_cuda((call), #call, __FILE__, __LINE__)

ncclDataType_t nccl_type(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat: return ncclFloat32;
    case torch::kDouble: return ncclFloat64;
    case torch::kHalf: return ncclFloat16;
    case torch::kBFloat16: return ncclBfloat16;
    case torch::kInt: return ncclInt32;
    case torch::kLong: return ncclInt64;
    case torch::kChar: return ncclInt8;
    case torch::kByte: return ncclUint8;
    default:
      throw std::invalid_argument(
          fmt::format("NCCL backend has no type for {} tensors", c10::toString(t.scalar_type())));
  }
}

ncclRedOp_t nccl_op(const torch::Tensor& t, ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return ncclSum;
    case ReduceOp::kMax: return ncclMax;
    case ReduceOp::kAvg:
      if (!t.is_floating_point())
        throw std::invalid_argument(fmt::format("average of {} tensors would truncate; use sum or a floating dtype",
                                                c10::toString(t.scalar_type())));
      return ncclAvg;
  }
  throw std::invalid_argument("unknown reduce op");
}

double timeout_from_environment() {
  const char* value = std::getenv("DELREC_NCCL_TIMEOUT");
  if (value == nullptr || *value == '\0') return 600;
  char* end = nullptr;
  const double seconds = std::strtod(value, &end);
  if (*end != '\0' || !(seconds >= 0))
    throw std::invalid_argument(fmt::format("DELREC_NCCL_TIMEOUT='{}' is not a number of seconds (>= 0; 0 switches "
                                            "the NCCL watchdog off)", value));
  return seconds;
}

}  // namespace

NcclCommunicator::NcclCommunicator(MPI_Comm bootstrap, int device_index) : device_(device_index) {
  DELREC_MPI_CHECK(MPI_Comm_rank(bootstrap, &rank_));
  DELREC_MPI_CHECK(MPI_Comm_size(bootstrap, &size_));
  ncclUniqueId id;
  if (rank_ == 0) DELREC_NCCL_CHECK(ncclGetUniqueId(&id));
  DELREC_MPI_CHECK(MPI_Bcast(&id, sizeof(id), MPI_BYTE, 0, bootstrap));
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device_));
  DELREC_NCCL_CHECK(ncclCommInitRank(&comm_, size_, id, rank_));
  timeout_seconds_ = timeout_from_environment();
  if (timeout_seconds_ > 0) watchdog_ = std::thread([this] { watch(); });
}

void NcclCommunicator::track(const char* what, cudaStream_t stream) {
  if (!watchdog_.joinable()) return;
  cudaEvent_t done;
  DELREC_CUDA_CHECK(cudaEventCreateWithFlags(&done, cudaEventDisableTiming));
  DELREC_CUDA_CHECK(cudaEventRecord(done, stream));
  std::lock_guard<std::mutex> lock(mutex_);
  pending_.push_back({done, what, std::chrono::steady_clock::now()});
}

void NcclCommunicator::watch() {
  if (cudaSetDevice(device_) != cudaSuccess) fail("the watchdog cannot select the communicator's GPU");
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, std::chrono::seconds(1));
    while (!pending_.empty()) {
      const cudaError_t state = cudaEventQuery(pending_.front().done);
      if (state == cudaErrorNotReady) break;
      if (state != cudaSuccess)
        fail(fmt::format("CUDA error after NCCL {}: {}", pending_.front().what, cudaGetErrorString(state)));
      cudaEventDestroy(pending_.front().done);
      pending_.pop_front();
    }
    ncclResult_t async = ncclSuccess;
    if (ncclCommGetAsyncError(comm_, &async) == ncclSuccess && async != ncclSuccess && async != ncclInProgress)
      fail(fmt::format("NCCL reported an asynchronous error: {} {}", ncclGetErrorString(async),
                       ncclGetLastError(comm_)));
    if (pending_.empty()) continue;
    const double waited =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - pending_.front().enqueued).count();
    if (waited > timeout_seconds_)
      fail(fmt::format("NCCL {} in a group of {} ranks has not completed after {:.0f} s (DELREC_NCCL_TIMEOUT): a "
                       "peer rank died, hangs, or takes another path through the program",
                       pending_.front().what, size_, waited));
  }
}

void NcclCommunicator::fail(const std::string& reason) {
  std::fprintf(stderr, "delrec: rank %d (cuda:%d): %s; aborting the NCCL communicator and the job\n", world_rank(),
               device_, reason.c_str());
  std::fflush(stderr);
  ncclCommAbort(comm_);  // releases the kernels that wait on the lost peers
  MPI_Abort(MPI_COMM_WORLD, 1);
  std::abort();  // MPI_Abort does not return; this keeps [[noreturn]] true without it
}

NcclCommunicator::~NcclCommunicator() {
  if (watchdog_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    watchdog_.join();
    for (const auto& p : pending_) cudaEventDestroy(p.done);
  }
  if (comm_ == nullptr) return;
  // Destructors must not throw: report and go on.
  ncclResult_t result = ncclCommDestroy(comm_);
  if (result != ncclSuccess)
    std::fprintf(stderr, "ncclCommDestroy failed at %s:%d on rank %d: %s\n", __FILE__, __LINE__, world_rank(),
                 ncclGetErrorString(result));
}

void NcclCommunicator::check_tensor(const torch::Tensor& tensor, const char* what) const {
  if (!tensor.is_cuda() || tensor.device().index() != device_)
    throw std::invalid_argument(fmt::format("NCCL {} needs a tensor on cuda:{} (the device this communicator was "
                                            "created on), got one on {}",
                                            what, device_, tensor.device().str()));
  if (!tensor.is_contiguous())
    throw std::invalid_argument(fmt::format("NCCL {} needs a contiguous tensor; call .contiguous()", what));
}

void NcclCommunicator::all_reduce(torch::Tensor& tensor, ReduceOp op) {
  check_tensor(tensor, "all_reduce");
  c10::cuda::CUDAGuard guard(tensor.device());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream(tensor.device().index()).stream();
  DELREC_NCCL_CHECK(ncclAllReduce(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(), nccl_type(tensor),
                                  nccl_op(tensor, op), comm_, stream));
  track("all_reduce", stream);
}

torch::Tensor NcclCommunicator::all_gather(const torch::Tensor& tensor) {
  torch::Tensor input = tensor.dim() == 0 ? tensor.reshape({1}).contiguous() : tensor.contiguous();
  check_tensor(input, "all_gather");
  std::vector<int64_t> shape = input.sizes().vec();
  shape[0] *= size_;
  torch::Tensor output = torch::empty(shape, input.options());
  c10::cuda::CUDAGuard guard(input.device());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream(input.device().index()).stream();
  DELREC_NCCL_CHECK(
      ncclAllGather(input.data_ptr(), output.data_ptr(), input.numel(), nccl_type(input), comm_, stream));
  track("all_gather", stream);
  return output;
}

torch::Tensor NcclCommunicator::reduce_scatter(const torch::Tensor& tensor, ReduceOp op) {
  if (tensor.dim() == 0 || tensor.size(0) % size_ != 0)
    throw std::invalid_argument(fmt::format("reduce_scatter needs dim 0 divisible by the group size {}, got shape {}",
                                            size_, c10::str(tensor.sizes())));
  torch::Tensor input = tensor.contiguous();
  check_tensor(input, "reduce_scatter");
  std::vector<int64_t> shape = input.sizes().vec();
  shape[0] /= size_;
  torch::Tensor output = torch::empty(shape, input.options());
  c10::cuda::CUDAGuard guard(input.device());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream(input.device().index()).stream();
  DELREC_NCCL_CHECK(ncclReduceScatter(input.data_ptr(), output.data_ptr(), output.numel(), nccl_type(input),
                                      nccl_op(input, op), comm_, stream));
  track("reduce_scatter", stream);
  return output;
}

void NcclCommunicator::broadcast(torch::Tensor& tensor, int root) {
  check_tensor(tensor, "broadcast");
  if (root < 0 || root >= size_)
    throw std::invalid_argument(fmt::format("broadcast root {} outside the group of {}", root, size_));
  c10::cuda::CUDAGuard guard(tensor.device());
  cudaStream_t stream = c10::cuda::getCurrentCUDAStream(tensor.device().index()).stream();
  DELREC_NCCL_CHECK(ncclBroadcast(tensor.data_ptr(), tensor.data_ptr(), tensor.numel(), nccl_type(tensor), root,
                                  comm_, stream));
  track("broadcast", stream);
}

void NcclCommunicator::barrier() {
  c10::cuda::CUDAGuard guard(static_cast<c10::DeviceIndex>(device_));
  torch::Tensor token = torch::zeros({1}, torch::TensorOptions().dtype(torch::kInt).device(torch::kCUDA, device_));
  all_reduce(token, ReduceOp::kSum);
  DELREC_CUDA_CHECK(cudaStreamSynchronize(c10::cuda::getCurrentCUDAStream(device_).stream()));
}

}  // namespace delrec::parallel
