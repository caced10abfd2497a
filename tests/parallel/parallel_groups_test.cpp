// The rule that a tensor-parallel group stays inside one node, on node maps written by hand: the layouts that are
// refused name the group, its ranks on each node and the largest TP that would fit.
#include "parallel/parallel_groups.h"

#include <gtest/gtest.h>

namespace delrec::parallel {
namespace {

// `counts[i]` consecutive ranks on node "node<i>".
World::Nodes nodes_of(std::initializer_list<int> counts) {
  World::Nodes nodes;
  int node = 0;
  for (int count : counts) {
    nodes.node_names.push_back("node" + std::to_string(node));
    for (int i = 0; i < count; ++i) nodes.node_of_rank.push_back(node);
    ++node;
  }
  return nodes;
}

std::string refusal(const Layout& layout, const World::Nodes& nodes) {
  try {
    check_tp_groups_within_nodes(layout, nodes);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(TpGroupsWithinNodes, TpUpToTheRanksOfANodeIsAccepted) {
  for (int tp : {1, 2, 4}) EXPECT_EQ(refusal(Layout::from_tp(8, 0, tp), nodes_of({4, 4})), "") << "tp " << tp;
  EXPECT_EQ(refusal(Layout::from_tp(4, 0, 4), nodes_of({4})), "");
}

TEST(TpGroupsWithinNodes, AGroupAcrossTwoNodesIsRefusedWithItsRanks) {
  const std::string message = refusal(Layout::from_tp(8, 0, 8), nodes_of({4, 4}));
  EXPECT_NE(message.find("tensor-parallel group 0 (tp 8) spans 2 nodes"), std::string::npos) << message;
  EXPECT_NE(message.find("ranks 0,1,2,3 on node0; ranks 4,5,6,7 on node1"), std::string::npos) << message;
  EXPECT_NE(message.find("choose tp <= 4"), std::string::npos) << message;
}

TEST(TpGroupsWithinNodes, UnevenNodesRefuseTheGroupThatStraddlesThem) {
  // 3 + 5 ranks, tp 2: group 1 holds ranks 2 (node0) and 3 (node1).
  const std::string message = refusal(Layout::from_tp(8, 0, 2), nodes_of({3, 5}));
  EXPECT_NE(message.find("tensor-parallel group 1 (tp 2) spans 2 nodes: ranks 2 on node0; ranks 3 on node1"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("choose tp <= 3"), std::string::npos) << message;
}

TEST(TpGroupsWithinNodes, RanksPlacedRoundRobinAreRefused) {
  // mpirun --map-by node: rank r on node r % 2, so every TP pair straddles both nodes.
  World::Nodes nodes{{0, 1, 0, 1}, {"a", "b"}};
  const std::string message = refusal(Layout::from_tp(4, 0, 2), nodes);
  EXPECT_NE(message.find("ranks 0 on a; ranks 1 on b"), std::string::npos) << message;
}

}  // namespace
}  // namespace delrec::parallel
