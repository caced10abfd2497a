#include "parallel/layout.h"

#include <fmt/format.h>

#include <cstdlib>
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

Layout Layout::from_tp(int world_size, int rank, int tp) {
  if (tp < 1 || world_size < 1 || world_size % tp != 0)
    throw std::invalid_argument(fmt::format(
        "invalid parallel layout: world({}) is not divisible by tp({}); choose a tp that divides the number of ranks",
        world_size, tp));
  return Layout(world_size, rank, tp, world_size / tp);
}

std::vector<int> Layout::tp_group_ranks() const {
  std::vector<int> ranks;
  for (int t = 0; t < tp_; ++t) ranks.push_back(dp_rank() * tp_ + t);
  return ranks;
}

std::vector<int> Layout::dp_group_ranks() const {
  std::vector<int> ranks;
  for (int d = 0; d < dp_; ++d) ranks.push_back(d * tp_ + tp_rank());
  return ranks;
}

int tp_from_environment() {
  const char* value = std::getenv("DELREC_TP");
  if (value == nullptr || *value == '\0') return 1;
  char* end = nullptr;
  long tp = std::strtol(value, &end, 10);
  if (*end != '\0' || tp < 1 || tp > 1 << 20)
    throw std::invalid_argument(fmt::format("DELREC_TP='{}' is not a tensor-parallel size (a positive integer)", value));
  return static_cast<int>(tp);
}

std::string Layout::describe() const {
  return fmt::format("world {} = tp {} x dp {}, rank {} (tp_rank {}, dp_rank {})", world_size_, tp_, dp_, rank_,
                     tp_rank(), dp_rank());
}

}  // namespace delrec::parallel
