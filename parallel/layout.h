#pragma once
// The parallel layout: world = tp x dp, tensor parallelism innermost so that a TP group (which exchanges
// activations every layer) stays inside one node, while DP groups (one gradient all-reduce per step) span nodes.
//
//   rank = dp_rank * tp + tp_rank
//
// One validated Layout object is passed explicitly to everything that communicates; there are no globals.
#include <string>

namespace delrec::parallel {

class Layout {
 public:
  // Throws std::invalid_argument naming every factor, e.g. "tp(4) * dp(3) != world(8)".
  Layout(int world_size, int rank, int tp, int dp);

  int world_size() const { return world_size_; }
  int rank() const { return rank_; }
  int tp() const { return tp_; }
  int dp() const { return dp_; }
  int tp_rank() const { return rank_ % tp_; }
  int dp_rank() const { return rank_ / tp_; }
  // Global ranks are grouped by these colours when splitting communicators.
  int tp_group_id() const { return dp_rank(); }
  int dp_group_id() const { return tp_rank(); }

  std::string describe() const;  // "world 4 = tp 2 x dp 2, rank 3 (tp_rank 1, dp_rank 1)"

 private:
  int world_size_, rank_, tp_, dp_;
};

}  // namespace delrec::parallel
