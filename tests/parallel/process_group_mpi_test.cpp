// Each collective of the MPI backend (through ProcessGroup) against results computed by hand from the rank
// values, for every supported dtype, on the world and on split sub-groups.
#include <gtest/gtest.h>

#include "parallel/process_group.h"
#include "tests/parallel/parallel_test_support.h"

namespace delrec::parallel {
namespace {

using test::test_world;

class CollectiveTest : public ::testing::TestWithParam<torch::Dtype> {};

// Rank r holds [0, 1, 2, 3, 4] + 10 r.
torch::Tensor rank_values(int rank, torch::Dtype dtype) { return (torch::arange(5) + 10 * rank).to(dtype); }

TEST_P(CollectiveTest, AllReduceSumMaxAvg) {
  auto& world = *test_world().group();
  int n = world.size();
  torch::Tensor base = torch::arange(5).to(torch::kDouble);

  torch::Tensor sum = rank_values(world.rank(), GetParam());
  world.all_reduce(sum, ReduceOp::kSum);
  EXPECT_TRUE(torch::equal(sum, (n * base + 10.0 * n * (n - 1) / 2).to(GetParam())));

  torch::Tensor max = rank_values(world.rank(), GetParam());
  world.all_reduce(max, ReduceOp::kMax);
  EXPECT_TRUE(torch::equal(max, (base + 10.0 * (n - 1)).to(GetParam())));

  torch::Tensor avg = rank_values(world.rank(), GetParam());
  if (torch::isFloatingType(GetParam())) {
    world.all_reduce(avg, ReduceOp::kAvg);
    EXPECT_TRUE(torch::equal(avg, (base + 10.0 * (n - 1) / 2).to(GetParam())));
  } else {
    EXPECT_THROW(world.all_reduce(avg, ReduceOp::kAvg), std::invalid_argument);
  }
}

TEST_P(CollectiveTest, AllGatherConcatenatesAlongDimZero) {
  auto& world = *test_world().group();
  torch::Tensor mine = torch::full({2, 3}, world.rank(), torch::TensorOptions().dtype(GetParam()));
  torch::Tensor all = world.all_gather(mine);
  ASSERT_EQ(all.sizes(), (std::vector<int64_t>{2 * world.size(), 3}));
  for (int r = 0; r < world.size(); ++r)
    EXPECT_TRUE(torch::equal(all.narrow(0, 2 * r, 2), torch::full({2, 3}, r, mine.options()))) << "piece " << r;
}

TEST_P(CollectiveTest, ReduceScatterGivesEachRankItsReducedRows) {
  auto& world = *test_world().group();
  int n = world.size();
  // Rank r holds row index i + r in row i of a (2n, 3) tensor; the sum over ranks of row i is n i + n(n-1)/2.
  torch::Tensor rows = torch::arange(2 * n).unsqueeze(1).expand({2 * n, 3}) + world.rank();
  torch::Tensor mine = world.reduce_scatter(rows.to(GetParam()), ReduceOp::kSum);
  torch::Tensor my_rows = torch::arange(2 * world.rank(), 2 * world.rank() + 2).unsqueeze(1).expand({2, 3});
  EXPECT_TRUE(torch::equal(mine, (n * my_rows + n * (n - 1) / 2).to(GetParam())));
}

TEST_P(CollectiveTest, BroadcastCopiesTheRootsValues) {
  auto& world = *test_world().group();
  int root = world.size() - 1;
  torch::Tensor t = rank_values(world.rank(), GetParam());
  world.broadcast(t, root);
  EXPECT_TRUE(torch::equal(t, rank_values(root, GetParam())));
}

INSTANTIATE_TEST_SUITE_P(Dtypes, CollectiveTest,
                         ::testing::Values(torch::kFloat, torch::kDouble, torch::kInt, torch::kLong,
                                           torch::kBFloat16));

TEST(ProcessGroupTest, SplitGroupsReduceOnlyTheirMembers) {
  auto& world = *test_world().group();
  // Pairs of consecutive ranks, as TP=2 groups are.
  auto pair = world.split(world.rank() / 2, world.rank());
  ASSERT_EQ(pair->size(), 2);
  EXPECT_EQ(pair->rank(), world.rank() % 2);
  torch::Tensor t = torch::tensor({static_cast<double>(world.rank())});
  pair->all_reduce(t, ReduceOp::kSum);
  int first = world.rank() / 2 * 2;
  EXPECT_EQ(t.item<double>(), first + first + 1);
  pair->barrier();
}

TEST(ProcessGroupTest, GroupOfOneDoesNothing) {
  ProcessGroup self(MPI_COMM_SELF);
  torch::Tensor t = torch::tensor({1.0, 2.0});
  self.all_reduce(t, ReduceOp::kAvg);
  EXPECT_TRUE(torch::equal(t, torch::tensor({1.0, 2.0})));
  EXPECT_TRUE(self.all_gather(t).is_same(t));
}

TEST(ProcessGroupTest, RejectsNonContiguousTensorsWithAMessage) {
  auto& world = *test_world().group();
  torch::Tensor strided = torch::zeros({4, 4}).t();
  try {
    world.all_reduce(strided, ReduceOp::kSum);
    FAIL() << "a non-contiguous tensor was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("contiguous"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace delrec::parallel
