// The NCCL backend on CUDA tensors with a world of one rank (compiled only when LibTorch has CUDA; empty
// otherwise). With one rank every reduction returns its input, so each check fills the tensor with distinct values
// and compares the whole result: a wrong type, count or offset shows up as garbage or untouched memory.
#ifdef DELREC_WITH_NCCL
#include "parallel/nccl_communicator.h"

#include <gtest/gtest.h>

#include "parallel/world.h"

namespace delrec::parallel {
namespace {

class NcclCommunicatorTest : public ::testing::TestWithParam<torch::Dtype> {
 protected:
  void SetUp() override {
    if (!torch::cuda::is_available()) GTEST_SKIP() << "no GPU visible";
    static World world;
    if (world.size() != 1) GTEST_SKIP() << "runs with one rank";
    device_ = select_device();
    nccl_ = std::make_unique<NcclCommunicator>(MPI_COMM_WORLD, device_.index());
  }
  torch::Tensor values() const {
    return torch::arange(1, 1 + 4 * 6).view({4, 6}).to(torch::TensorOptions().dtype(GetParam()).device(device_));
  }
  torch::Device device_ = torch::kCPU;
  std::unique_ptr<NcclCommunicator> nccl_;
};

TEST_P(NcclCommunicatorTest, EveryCollectiveOnCudaTensors) {
  ASSERT_EQ(nccl_->size(), 1);
  for (ReduceOp op : {ReduceOp::kSum, ReduceOp::kMax, ReduceOp::kAvg}) {
    if (op == ReduceOp::kAvg && !torch::isFloatingType(GetParam())) continue;
    torch::Tensor t = values();
    nccl_->all_reduce(t, op);
    EXPECT_TRUE(torch::equal(t.cpu(), values().cpu())) << to_string(op);
    EXPECT_TRUE(torch::equal(nccl_->reduce_scatter(values(), op).cpu(), values().cpu())) << to_string(op);
  }
  EXPECT_TRUE(torch::equal(nccl_->all_gather(values()).cpu(), values().cpu()));
  torch::Tensor b = values();
  nccl_->broadcast(b, 0);
  EXPECT_TRUE(torch::equal(b.cpu(), values().cpu()));
  nccl_->barrier();
}

TEST_P(NcclCommunicatorTest, RejectsCpuTensors) {
  torch::Tensor cpu = values().cpu();
  EXPECT_THROW(nccl_->all_reduce(cpu, ReduceOp::kSum), std::invalid_argument);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, NcclCommunicatorTest,
                         ::testing::Values(torch::kFloat, torch::kDouble, torch::kBFloat16, torch::kHalf, torch::kInt,
                                           torch::kLong));

}  // namespace
}  // namespace delrec::parallel
#endif  // DELREC_WITH_NCCL
