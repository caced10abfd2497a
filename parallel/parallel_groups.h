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

// Collective over the world: validates world = tp x dp (throws std::invalid_argument naming the factors) and
// splits the TP and DP groups.
ParallelGroups make_parallel_groups(const World& world, int tp);

}  // namespace delrec::parallel
