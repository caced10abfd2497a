#pragma once
// The process groups of one layout, built once at start-up and passed explicitly to whatever communicates:
//   world: every rank;  tp: the ranks that split one model's layers;  dp: the ranks holding the same shard of
//   different data (they average gradients).
#include <memory>

#include "parallel/layout.h"
#include "parallel/process_group.h"
#include "parallel/world.h"

namespace delrec::parallel {

struct ParallelGroups {
  Layout layout;
  std::shared_ptr<ProcessGroup> world;
  std::shared_ptr<ProcessGroup> tp;
  std::shared_ptr<ProcessGroup> dp;
};

// Collective over the world: validates world = tp x dp (throws std::invalid_argument naming the factors), checks
// that every TP group lies inside one node, splits the TP and DP groups, and -- when this rank computes on a GPU --
// creates their NCCL communicators now, on the main thread, in the same order on every rank (a communicator made
// lazily at a group's first collective could be made on autograd's backward thread, or by some ranks only).
ParallelGroups make_parallel_groups(const World& world, int tp);
// The same with the ranks' nodes given, e.g. a split of one machine's ranks into pretend nodes (tests).
ParallelGroups make_parallel_groups(const World& world, int tp, const World::Nodes& nodes);

// A TP group exchanges activations in every layer and must stay inside one node (NVLink, shared memory). Throws
// std::invalid_argument naming the first group that spans nodes, its ranks on each node, and what to change.
void check_tp_groups_within_nodes(const Layout& layout, const World::Nodes& nodes);

}  // namespace delrec::parallel
