#include "parallel/parallel_groups.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <stdexcept>

namespace delrec::parallel {

void check_tp_groups_within_nodes(const Layout& layout, const World::Nodes& nodes) {
  if (static_cast<int>(nodes.node_of_rank.size()) != layout.world_size())
    throw std::invalid_argument(fmt::format("node map has {} ranks, the layout {}", nodes.node_of_rank.size(),
                                            layout.world_size()));
  // Ranks per node, for the advice: the largest TP that fits inside the smallest node.
  std::map<int, int> ranks_on_node;
  for (int node : nodes.node_of_rank) ++ranks_on_node[node];
  int smallest = layout.world_size();
  for (const auto& [node, count] : ranks_on_node) smallest = std::min(smallest, count);
  for (int group = 0; group < layout.dp(); ++group) {
    std::map<int, std::vector<int>> ranks_by_node;  // node -> this group's ranks on it
    for (int t = 0; t < layout.tp(); ++t) {
      const int rank = group * layout.tp() + t;
      ranks_by_node[nodes.node_of_rank[rank]].push_back(rank);
    }
    if (ranks_by_node.size() == 1) continue;
    std::vector<std::string> parts;
    for (const auto& [node, ranks] : ranks_by_node)
      parts.push_back(fmt::format("ranks {} on {}", fmt::join(ranks, ","), nodes.node_names.at(node)));
    throw std::invalid_argument(fmt::format(
        "tensor-parallel group {} (tp {}) spans {} nodes: {}. A TP group exchanges activations in every layer and "
        "must stay inside one node: choose tp <= {} (the fewest ranks on a node) with ranks placed node by node "
        "(consecutive ranks on the same node, e.g. srun's block distribution or mpirun --map-by slot), or put more "
        "ranks on each node",
        group, layout.tp(), ranks_by_node.size(), fmt::join(parts, "; "), smallest));
  }
}

ParallelGroups make_parallel_groups(const World& world, int tp) { return make_parallel_groups(world, tp, world.nodes()); }

ParallelGroups make_parallel_groups(const World& world, int tp, const World::Nodes& nodes) {
  Layout layout = Layout::from_tp(world.size(), world.rank(), tp);
  check_tp_groups_within_nodes(layout, nodes);
  // Group ranks are ordered like global ranks, so tp_rank() and dp_rank() are the ranks inside the groups.
  auto tp_group = world.group()->split(layout.tp_group_id(), world.rank());
  auto dp_group = world.group()->split(layout.dp_group_id(), world.rank());
  const torch::Device device = select_device();
  if (device.is_cuda())
    for (const auto& group : {world.group(), tp_group, dp_group}) group->connect_device(device.index());
  return ParallelGroups{layout, world.group(), std::move(tp_group), std::move(dp_group)};
}

}  // namespace delrec::parallel
