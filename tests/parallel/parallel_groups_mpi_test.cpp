// make_parallel_groups on real MPI ranks: the node map comes from MPI_Comm_split_type (all ranks of this machine on
// one node, named by its host name), and a layout whose TP group spans pretend nodes -- the world split into two
// halves, as two nodes would hold it -- is refused on every rank before any group is created.
#include <gtest/gtest.h>
#include <unistd.h>

#include "parallel/parallel_groups.h"
#include "tests/parallel/parallel_test_support.h"

namespace delrec::parallel {
namespace {

using test::test_world;

TEST(ParallelGroupsMpi, RanksOfOneMachineShareOneNode) {
  const World::Nodes nodes = test_world().nodes();
  ASSERT_EQ(static_cast<int>(nodes.node_of_rank.size()), test_world().size());
  for (int node : nodes.node_of_rank) EXPECT_EQ(node, 0);
  ASSERT_EQ(nodes.node_names.size(), 1u);
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  EXPECT_EQ(nodes.node_names[0], std::string(host));
  const ParallelGroups groups = make_parallel_groups(test_world(), test_world().size());
  EXPECT_EQ(groups.tp->size(), test_world().size());
}

TEST(ParallelGroupsMpi, TpGroupAcrossPretendNodesIsRefusedOnEveryRank) {
  const int n = test_world().size();
  // Two pretend nodes of n/2 consecutive ranks each: what two nodes with n/2 GPUs each would give.
  World::Nodes halves{{}, {"node-a", "node-b"}};
  for (int r = 0; r < n; ++r) halves.node_of_rank.push_back(r < n / 2 ? 0 : 1);
  std::string message;
  try {
    make_parallel_groups(test_world(), n, halves);
  } catch (const std::invalid_argument& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("spans 2 nodes"), std::string::npos) << message;
  EXPECT_NE(message.find("choose tp <= " + std::to_string(n / 2)), std::string::npos) << message;
  // TP inside each pretend node is accepted, and the groups work.
  const ParallelGroups groups = make_parallel_groups(test_world(), n / 2, halves);
  torch::Tensor one = torch::ones({1});
  groups.tp->all_reduce(one, ReduceOp::kSum);
  EXPECT_EQ(one.item<float>(), static_cast<float>(n / 2));
}

}  // namespace
}  // namespace delrec::parallel
