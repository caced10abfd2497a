#include "core/run/placement.h"

#include <gtest/gtest.h>

#include "core/run/run_status.h"
#include "core/util/atomic_file.h"
#include "tests/test_support.h"

namespace delrec::run {
namespace {

parallel::World::Nodes two_nodes_round_robin() {
  parallel::World::Nodes nodes;
  nodes.node_names = {"dnode1", "dnode2"};
  nodes.node_of_rank = {0, 1, 0, 1};
  nodes.local_rank_of_rank = {0, 0, 1, 1};
  nodes.pid_of_rank = {101, 201, 102, 202};
  nodes.threads_of_rank = {1, 1, 1, 1};
  return nodes;
}

TEST(Placement, EveryStartIsRecordedAndStatusShowsTheLastOnesNodes) {
  test::TempDir dir;
  parallel::World::Nodes one;
  one.node_names = {"a"};
  one.node_of_rank = {0, 0};
  record_placement(dir.path(), one, 1);
  record_placement(dir.path(), two_nodes_round_robin(), 2);

  const auto record = nlohmann::json::parse(read_file(placement_path(dir.path())));
  ASSERT_EQ(record["starts"].size(), 2u);
  const auto last = last_placement(dir.path());
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ((*last)["world"], 4);
  EXPECT_EQ((*last)["tp"], 2);
  EXPECT_EQ((*last)["ranks"][3]["node"], "dnode2");
  EXPECT_EQ((*last)["ranks"][3]["pid"], 202);
  EXPECT_EQ((*last)["ranks"][2]["local_rank"], 1);
  EXPECT_EQ(format_placement(*last), "ranks 0,2 on dnode1; ranks 1,3 on dnode2");
  EXPECT_EQ(format_placement(record["starts"][0]), "ranks 0,1 on a");

  const std::string status = format_run_status(read_run_status(dir.path()));
  EXPECT_NE(status.find(", tp 2): ranks 0,2 on dnode1; ranks 1,3 on dnode2\n"), std::string::npos) << status;
  EXPECT_EQ(run_status_json(read_run_status(dir.path()))["placement"]["ranks"].size(), 4u);
  // The record is not one of the job's logs.
  EXPECT_EQ(status.find("newest placement.json"), std::string::npos) << status;
}

TEST(Placement, ADamagedRecordStartsAgainAndNeverFailsAStatus) {
  test::TempDir dir;
  write_file_atomically(placement_path(dir.path()), "{\"starts\": [{\"ranks\"");
  EXPECT_FALSE(last_placement(dir.path()).has_value());
  record_placement(dir.path(), two_nodes_round_robin(), 2);
  EXPECT_EQ(nlohmann::json::parse(read_file(placement_path(dir.path())))["starts"].size(), 1u);
}

}  // namespace
}  // namespace delrec::run
