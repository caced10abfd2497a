// `delrec launch`, end to end through the built binary: the mpirun command line it prints with --dry-run, its
// usage errors, and a real two-rank run whose exit code comes back.
#include <gtest/gtest.h>

#include <string>
#include <thread>

#include "tests/test_support.h"

namespace delrec {
namespace {

std::string delrec() { return test::delrec_binary().string(); }

TEST(LaunchCommandTest, DryRunPrintsTheMpirunCommandLine) {
  std::string output;
  ASSERT_EQ(test::run_command("env -i PATH=\"$PATH\" " + delrec() + " launch -n 2 --tp 2 --hosts a:1,b:1 --dry-run -- "
                              "run 'my recipe.yaml'",
                              &output),
            0)
      << output;
  std::string binary = std::filesystem::canonical(test::delrec_binary()).string();
  EXPECT_NE(output.find("mpirun -n 2 --host a:1,b:1 --bind-to none -x DELREC_TP=2 " + binary +
                        " run 'my recipe.yaml'"),
            std::string::npos)
      << output;
}

// Ranks on other hosts start with the environment ssh or the batch system gives them: NCCL's interface choice, the
// site's GPU assignment, the library path and delrec's own settings must be passed along explicitly.
TEST(LaunchCommandTest, ForwardsNcclCudaLibraryAndDelrecVariablesToEveryRank) {
  std::string output;
  ASSERT_EQ(test::run_command("env -i PATH=\"$PATH\" HOME=/root UNRELATED=1 NCCL_SOCKET_IFNAME=ib0 NCCL_DEBUG=WARN "
                              "CUDA_VISIBLE_DEVICES=0,1 LD_LIBRARY_PATH=/opt/lib DELREC_LOG_LEVEL=debug DELREC_TP=8 " +
                                  delrec() + " launch -n 2 --hosts a:1,b:1 --dry-run -- run r.yaml",
                              &output),
            0)
      << output;
  std::string binary = std::filesystem::canonical(test::delrec_binary()).string();
  EXPECT_NE(output.find("--bind-to none -x DELREC_TP=1 -x CUDA_VISIBLE_DEVICES -x DELREC_LOG_LEVEL -x LD_LIBRARY_PATH "
                        "-x NCCL_DEBUG -x NCCL_SOCKET_IFNAME " +
                        binary + " run r.yaml"),
            std::string::npos)
      << output;
  EXPECT_EQ(output.find("UNRELATED"), std::string::npos) << output;
  EXPECT_EQ(output.find("HOME"), std::string::npos) << output;
  EXPECT_EQ(output.find("DELREC_TP=8"), std::string::npos) << "--tp, not the caller's DELREC_TP, sets the ranks' TP";
}

TEST(LaunchCommandTest, OversubscribesWithAWarningWhenRanksExceedCores) {
  int ranks = static_cast<int>(std::thread::hardware_concurrency()) + 1;
  std::string output;
  ASSERT_EQ(test::run_command("env -u SLURM_JOB_ID " + delrec() + " launch -n " + std::to_string(ranks) +
                                  " --dry-run -- run r.yaml",
                              &output),
            0)
      << output;
  EXPECT_NE(output.find("--oversubscribe"), std::string::npos) << output;
  EXPECT_NE(output.find("ranks on"), std::string::npos) << output;
}

TEST(LaunchCommandTest, InsideSlurmUsesTheAllocation) {
  std::string output;
  ASSERT_EQ(test::run_command("SLURM_JOB_ID=42 " + delrec() + " launch -n 64 --tp 8 --dry-run -- run r.yaml", &output),
            0)
      << output;
  EXPECT_NE(output.find("mpirun -n 64 --bind-to none -x DELREC_TP=8 "), std::string::npos) << output;
  EXPECT_EQ(output.find("--oversubscribe"), std::string::npos) << output;
  EXPECT_EQ(test::run_command("SLURM_JOB_ID=42 " + delrec() + " launch -n 2 --hosts a:2 --dry-run -- run r.yaml",
                              &output),
            2);
  EXPECT_NE(output.find("drop --hosts"), std::string::npos) << output;
}

TEST(LaunchCommandTest, TpThatDoesNotDivideTheRanksIsAUsageError) {
  std::string output;
  EXPECT_EQ(test::run_command(delrec() + " launch -n 4 --tp 3 --dry-run -- run r.yaml", &output), 2);
  EXPECT_NE(output.find("world(4) is not divisible by tp(3)"), std::string::npos) << output;
}

TEST(LaunchCommandTest, RunsTheRanksAndReturnsTheirExitCode) {
  std::string output;
  EXPECT_EQ(test::run_command("env -u SLURM_JOB_ID " + test::kMpiEnv + delrec() + " launch -n 2 -- --version", &output), 0)
      << output;
  EXPECT_NE(output.find("delrec "), std::string::npos) << output;
  int direct = test::run_command(delrec() + " no-such-command", &output);
  ASSERT_NE(direct, 0);
  EXPECT_EQ(test::run_command("env -u SLURM_JOB_ID " + test::kMpiEnv + delrec() + " launch -n 2 -- no-such-command",
                              &output),
            direct)
      << output;
}

}  // namespace
}  // namespace delrec
