#pragma once
// The parallel layout: world = tp x dp, tensor parallelism innermost so that a TP group (which exchanges
// activations every layer) stays inside one node, while DP groups (one gradient all-reduce per step) span nodes.
//
//   rank = dp_rank * tp + tp_rank
//
// One validated Layout object is passed explicitly to everything that communicates; there are no globals.
#include <string>
#include <vector>

namespace delrec::parallel {

class Layout {
 public:
  // Throws std::invalid_argument naming every factor, e.g. "tp(4) * dp(3) != world(8)".
  Layout(int world_size, int rank, int tp, int dp);
  // dp = world_size / tp; throws naming both factors when tp does not divide the world, e.g.
  // "world(6) is not divisible by tp(4)".
  static Layout from_tp(int world_size, int rank, int tp);

  int world_size() const { return world_size_; }
  int rank() const { return rank_; }
  int tp() const { return tp_; }
  int dp() const { return dp_; }
  int tp_rank() const { return rank_ % tp_; }
  int dp_rank() const { return rank_ / tp_; }
  // Global ranks are grouped by these colours when splitting communicators.
  int tp_group_id() const { return dp_rank(); }
  int dp_group_id() const { return tp_rank(); }

  // Global ranks of this rank's TP group (consecutive) and DP group (strided by tp), in group-rank order.
  std::vector<int> tp_group_ranks() const;
  std::vector<int> dp_group_ranks() const;

  std::string describe() const;  // "world 4 = tp 2 x dp 2, rank 3 (tp_rank 1, dp_rank 1)"

 private:
  int world_size_, rank_, tp_, dp_;
};

// The tensor-parallel size the launcher chose (`delrec launch --tp`, environment DELREC_TP); 1 when unset.
int tp_from_environment();

}  // namespace delrec::parallel
