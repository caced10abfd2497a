#include "parallel/layout.h"

#include <fmt/format.h>

#include <stdexcept>

namespace delrec::parallel {

Layout::Layout(int world_size, int rank, int tp, int dp) : world_size_(world_size), rank_(rank), tp_(tp), dp_(dp) {
  if (world_size < 1 || tp < 1 || dp < 1)
    throw std::invalid_argument(fmt::format(
        "invalid parallel layout: world({}), tp({}), dp({}) must all be >= 1", world_size, tp, dp));
  if (tp * dp != world_size)
    throw std::invalid_argument(fmt::format(
        "invalid parallel layout: tp({}) * dp({}) != world({}); choose tp and dp whose product is the number of "
        "ranks",
        tp, dp, world_size));
  if (rank < 0 || rank >= world_size)
    throw std::invalid_argument(fmt::format("invalid parallel layout: rank({}) outside world({})", rank, world_size));
}

std::string Layout::describe() const {
  return fmt::format("world {} = tp {} x dp {}, rank {} (tp_rank {}, dp_rank {})", world_size_, tp_, dp_, rank_,
                     tp_rank(), dp_rank());
}

}  // namespace delrec::parallel
