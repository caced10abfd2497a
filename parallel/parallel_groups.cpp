#include "parallel/parallel_groups.h"

namespace delrec::parallel {

ParallelGroups make_parallel_groups(const World& world, int tp) {
  Layout layout = Layout::from_tp(world.size(), world.rank(), tp);
  // Group ranks are ordered like global ranks, so tp_rank() and dp_rank() are the ranks inside the groups.
  auto tp_group = world.group()->split(layout.tp_group_id(), world.rank());
  auto dp_group = world.group()->split(layout.dp_group_id(), world.rank());
  return ParallelGroups{layout, world.group(), std::move(tp_group), std::move(dp_group)};
}

}  // namespace delrec::parallel
