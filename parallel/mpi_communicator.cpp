#include "parallel/mpi_communicator.h"

#include <fmt/format.h>

#include <climits>
#include <stdexcept>

#include "parallel/mpi_check.h"

namespace delrec::parallel {

const char* to_string(ReduceOp op) {
  switch (op) {
    case ReduceOp::kSum: return "sum";
    case ReduceOp::kAvg: return "avg";
    case ReduceOp::kMax: return "max";
  }
  return "unknown";
}

namespace detail {

void check_mpi(int result, const char* call, const char* file, int line) {
  if (result == MPI_SUCCESS) return;
  char message[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(result, message, &length) != MPI_SUCCESS) length = 0;
  int rank = -1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  throw std::runtime_error(fmt::format("{} failed at {}:{} on rank {}: {} (error {})", call, file, line, rank,
                                       std::string(message, length), result));
}

}  // namespace detail

namespace {

bool is_16_bit_float(const torch::Tensor& t) {
  return t.scalar_type() == torch::kBFloat16 || t.scalar_type() == torch::kHalf;
}

MPI_Datatype reduction_type(const torch::Tensor& t) {
  switch (t.scalar_type()) {
    case torch::kFloat: return MPI_FLOAT;
    case torch::kDouble: return MPI_DOUBLE;
    case torch::kInt: return MPI_INT32_T;
    case torch::kLong: return MPI_INT64_T;
    default:
      throw std::invalid_argument(fmt::format(
          "MPI backend cannot reduce {} tensors; use float32, float64, bfloat16, float16, int32 or int64",
          c10::toString(t.scalar_type())));
  }
}

MPI_Op mpi_op(ReduceOp op) { return op == ReduceOp::kMax ? MPI_MAX : MPI_SUM; }

// MPI counts are ints: a larger tensor must be split by the caller.
int mpi_count(int64_t count, const char* what) {
  if (count > INT_MAX)
    throw std::invalid_argument(fmt::format("{} of {} elements exceeds MPI's int count limit ({}); split the tensor",
                                            what, count, INT_MAX));
  return static_cast<int>(count);
}

void check_cpu_contiguous(const torch::Tensor& t, const char* what) {
  if (!t.device().is_cpu())
    throw std::invalid_argument(fmt::format("MPI {} needs a CPU tensor, got one on {}", what, t.device().str()));
  if (!t.is_contiguous())
    throw std::invalid_argument(fmt::format("MPI {} works in place and needs a contiguous tensor; call .contiguous()",
                                            what));
}

void check_average_type(const torch::Tensor& t, ReduceOp op) {
  if (op == ReduceOp::kAvg && !t.is_floating_point())
    throw std::invalid_argument(fmt::format("average of {} tensors would truncate; use sum or a floating dtype",
                                            c10::toString(t.scalar_type())));
}

// (d0, ...) -> (n * d0, ...); a scalar gathers to (n).
std::vector<int64_t> gathered_shape(const torch::Tensor& t, int n) {
  std::vector<int64_t> shape = t.dim() == 0 ? std::vector<int64_t>{1} : t.sizes().vec();
  shape[0] *= n;
  return shape;
}

}  // namespace

MpiCommunicator::MpiCommunicator(MPI_Comm comm) : comm_(comm) {
  DELREC_MPI_CHECK(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN));
  DELREC_MPI_CHECK(MPI_Comm_rank(comm_, &rank_));
  DELREC_MPI_CHECK(MPI_Comm_size(comm_, &size_));
}

MpiCommunicator::~MpiCommunicator() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized && comm_ != MPI_COMM_WORLD && comm_ != MPI_COMM_SELF) MPI_Comm_free(&comm_);
}

void MpiCommunicator::all_reduce(torch::Tensor& tensor, ReduceOp op) {
  check_cpu_contiguous(tensor, "all_reduce");
  check_average_type(tensor, op);
  if (is_16_bit_float(tensor)) {
    torch::Tensor wide = tensor.to(torch::kFloat);
    all_reduce(wide, op);
    tensor.copy_(wide);
    return;
  }
  DELREC_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, tensor.data_ptr(), mpi_count(tensor.numel(), "all_reduce"),
                                 reduction_type(tensor), mpi_op(op), comm_));
  if (op == ReduceOp::kAvg) tensor.div_(size_);
}

torch::Tensor MpiCommunicator::all_gather(const torch::Tensor& tensor) {
  torch::Tensor input = tensor.contiguous();
  check_cpu_contiguous(input, "all_gather");
  torch::Tensor output = torch::empty(gathered_shape(input, size_), input.options());
  // Gathering moves bytes without arithmetic, so every dtype travels as MPI_BYTE.
  int bytes = mpi_count(input.numel() * input.element_size(), "all_gather bytes");
  DELREC_MPI_CHECK(MPI_Allgather(input.data_ptr(), bytes, MPI_BYTE, output.data_ptr(), bytes, MPI_BYTE, comm_));
  return output;
}

torch::Tensor MpiCommunicator::reduce_scatter(const torch::Tensor& tensor, ReduceOp op) {
  if (tensor.dim() == 0 || tensor.size(0) % size_ != 0)
    throw std::invalid_argument(fmt::format("reduce_scatter needs dim 0 divisible by the group size {}, got shape {}",
                                            size_, c10::str(tensor.sizes())));
  check_average_type(tensor, op);
  if (is_16_bit_float(tensor)) return reduce_scatter(tensor.to(torch::kFloat), op).to(tensor.scalar_type());
  torch::Tensor input = tensor.contiguous();
  check_cpu_contiguous(input, "reduce_scatter");
  std::vector<int64_t> shape = input.sizes().vec();
  shape[0] /= size_;
  torch::Tensor output = torch::empty(shape, input.options());
  DELREC_MPI_CHECK(MPI_Reduce_scatter_block(input.data_ptr(), output.data_ptr(),
                                            mpi_count(output.numel(), "reduce_scatter"), reduction_type(input),
                                            mpi_op(op), comm_));
  if (op == ReduceOp::kAvg) output.div_(size_);
  return output;
}

void MpiCommunicator::broadcast(torch::Tensor& tensor, int root) {
  check_cpu_contiguous(tensor, "broadcast");
  if (root < 0 || root >= size_)
    throw std::invalid_argument(fmt::format("broadcast root {} outside the group of {}", root, size_));
  DELREC_MPI_CHECK(MPI_Bcast(tensor.data_ptr(), mpi_count(tensor.numel() * tensor.element_size(), "broadcast bytes"),
                             MPI_BYTE, root, comm_));
}

void MpiCommunicator::barrier() { DELREC_MPI_CHECK(MPI_Barrier(comm_)); }

MPI_Comm MpiCommunicator::split(int color, int key) const {
  MPI_Comm sub = MPI_COMM_NULL;
  DELREC_MPI_CHECK(MPI_Comm_split(comm_, color, key, &sub));
  return sub;
}

}  // namespace delrec::parallel
