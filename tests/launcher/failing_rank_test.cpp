// One rank's error ends the whole job: a rank that throws at a chosen point of the pipeline (DELREC_FAIL_AT, see
// core/util/fault_injection.h) -- rank 0 publishing a checkpoint, one rank in evaluation or writing its teacher-cache
// shard -- while the others go on into their next collective. Every rank must be gone within 30 s of the error,
// the job's exit status must be non-zero, and the output must name the failed rank and the cause.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <optional>
#include <thread>

#include "core/util/atomic_file.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace delrec {
namespace {

struct Case {
  int ranks, tp;
  const char* point;
  int rank;  // the rank that fails
};

std::string name(const ::testing::TestParamInfo<Case>& info) {
  return std::string(info.param.point) + "_rank" + std::to_string(info.param.rank) + "_of" +
         std::to_string(info.param.ranks);
}

class FailingRank : public ::testing::TestWithParam<Case> {};

TEST_P(FailingRank, EndsEveryRankWithinThirtySecondsNamingRankAndCause) {
  const Case c = GetParam();
  test::TempDir dir;
  const std::string fail_at = std::string(c.point) + "@" + std::to_string(c.rank);
  const std::string command =
      "env -u SLURM_JOB_ID " + test::kMpiEnv + "DELREC_FAIL_AT=" + fail_at + " " + test::delrec_binary().string() +
      " launch -n " + std::to_string(c.ranks) + " --tp " + std::to_string(c.tp) + " -- quickstart run.out_dir=" +
      (dir / "run").string() +
      " data.synthetic.users=40 teacher.epochs=1 teacher.max_len=12 stage1.train.steps=2 stage2.train.steps=2"
      " stage1.train.batch_size=4 stage2.train.batch_size=4 stage1.train.eval_examples=4"
      " stage2.train.eval_examples=4 eval.max_users=4 eval.ablations=none checkpoint.every_steps=1";
  const fs::path log = dir / "job.log";
  const pid_t job = test::spawn(command, log);
  const std::string marker = "injected failure at " + std::string(c.point) + " on rank " + std::to_string(c.rank);

  // Wait for the failure to show in the log, then for the job to end; a job still alive 60 s after the failure is
  // hung: kill it so the test ends.
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  std::optional<clock::time_point> failed_at;
  int status = 0;
  bool exited = false;
  while (!exited) {
    exited = waitpid(job, &status, WNOHANG) == job;
    if (!failed_at && fs::exists(log) && read_file(log).find(marker) != std::string::npos) failed_at = clock::now();
    const auto limit = failed_at ? *failed_at + std::chrono::seconds(60) : start + std::chrono::minutes(8);
    if (!exited && clock::now() > limit) {
      for (pid_t pid : test::process_tree(job)) kill(pid, SIGKILL);
      waitpid(job, &status, 0);
      FAIL() << "the job was still running " << (failed_at ? "60 s after the failure" : "after 8 minutes")
             << "; log:\n" << read_file(log);
    }
    if (!exited) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  const std::string output = read_file(log);
  if (!failed_at && output.find(marker) != std::string::npos) failed_at = clock::now();
  ASSERT_TRUE(failed_at.has_value()) << "the injected failure did not happen; log:\n" << output;
  const double seconds = std::chrono::duration<double>(clock::now() - *failed_at).count();
  std::cout << fail_at << " on " << c.ranks << " ranks: job ended " << seconds << " s after the failure\n";
  EXPECT_LT(seconds, 30.0) << output;
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "status " << status << "\n" << output;
  EXPECT_NE(output.find("rank " + std::to_string(c.rank) + " of " + std::to_string(c.ranks) + " failed: " + marker),
            std::string::npos)
      << output;
  EXPECT_FALSE(fs::exists(dir / "run" / "eval" / "results.json")) << "a failed job must not write results";
}

INSTANTIATE_TEST_SUITE_P(Points, FailingRank,
                         ::testing::Values(Case{2, 1, "teacher_cache_write", 1}, Case{2, 2, "checkpoint_publish", 0},
                                           Case{2, 1, "evaluation", 1}, Case{4, 2, "checkpoint_publish", 0},
                                           Case{4, 2, "evaluation", 3}, Case{4, 1, "teacher_cache_write", 2}),
                         name);

}  // namespace
}  // namespace delrec
