// Preemption end to end through the built binary: a run killed with SIGKILL at a random step (2 ranks DP 2,
// 2 ranks TP 2, 4 ranks TP 2 x DP 2), or stopped with SIGTERM (exit 75, the requeue status), is started again with
// the same command and ends with exactly the bytes of an uninterrupted run: soft prompt, adapter, results and the
// per-step metrics (timings aside), whose TensorBoard event files hold each step once.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "core/util/atomic_file.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace delrec {
namespace {

// The quickstart shrunk to seconds, with a checkpoint every `every_steps` steps. With more than one, every step is
// logged and its TensorBoard events are on disk at once, so that a kill between two checkpoints leaves metrics
// lines and events of steps the resumed run repeats (the kill then lands after the first checkpoint).
std::string quickstart(const fs::path& run, int ranks, int tp, bool async_save = false, int every_steps = 1) {
  const std::string args = " quickstart run.out_dir=" + run.string() +
                           (async_save ? " checkpoint.async_save=true" : "") +
                           " checkpoint.every_steps=" + std::to_string(every_steps) +
                           (every_steps > 1 ? " stage1.train.log_every=1 stage2.train.log_every=1"
                                              " logging.flush_seconds=0" : "") +
                           " data.synthetic.users=60 teacher.epochs=2 teacher.max_len=20 stage1.train.steps=6"
                           " stage2.train.steps=8 stage1.train.batch_size=4 stage2.train.batch_size=4"
                           " stage1.train.micro_batch_size=2 stage2.train.micro_batch_size=2"
                           " stage1.train.eval_examples=4 stage2.train.eval_examples=4 eval.max_users=8"
                           " eval.ablations=none";
  const std::string bin = test::delrec_binary().string();
  if (ranks == 1) return bin + args;
  return "env -u SLURM_JOB_ID " + test::kMpiEnv + bin + " launch -n " + std::to_string(ranks) + " --tp " +
         std::to_string(tp) + " --" + args;
}

// The highest step logged so far in a stage's metrics.jsonl (0 when none).
int64_t logged_step(const fs::path& metrics) {
  if (!fs::exists(metrics)) return 0;
  std::istringstream in(read_file(metrics));
  int64_t step = 0;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) step = std::max<int64_t>(step, nlohmann::json::parse(line).value("step", int64_t{0}));
  return step;
}

// Waits until `stage` has logged step `step`, then sends `signal`: SIGKILL to every process of the run (the
// launcher, mpirun and each rank), another signal to the group's leader alone, as Slurm signals a job step.
// Returns the exit status of the leader (-1 when it was killed by the signal).
int interrupt_at(pid_t group, const fs::path& metrics, int64_t step, int signal) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(3);
  int status = 0;
  while (logged_step(metrics) < step) {
    if (waitpid(group, &status, WNOHANG) == group) return -2;  // finished before the interruption point
    if (std::chrono::steady_clock::now() > deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (signal == SIGKILL) {
    for (pid_t pid : test::process_tree(group)) kill(pid, SIGKILL);
  } else {
    kill(group, signal);
  }
  waitpid(group, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void expect_same_outputs(const fs::path& got, const fs::path& expected) {
  for (const char* f : {"stage1/soft_prompt.safetensors", "stage2/adapter/adapter_model.safetensors",
                        "eval/results.json"})
    EXPECT_EQ(read_file(got / f), read_file(expected / f)) << f << " differs from the uninterrupted run";
  for (const char* f : {"stage1/metrics.jsonl", "stage2/metrics.jsonl"})
    EXPECT_EQ(test::metrics_without_timings(read_file(got / f)), test::metrics_without_timings(read_file(expected / f)))
        << f;
  // The TensorBoard curves of the interrupted run, read back by the tensorboard package: every metrics line's
  // numbers once, at their steps, none repeated or rewound by the resume.
  std::string out;
  EXPECT_EQ(test::run_command(std::string(DELREC_PYTHON) + " " + DELREC_SOURCE_DIR +
                                  "/tests/reference/tensorboard_check.py " + got.string(), &out), 0) << out;
}

struct Case {
  int ranks, tp;
  const char* stage;
  int64_t last_step;
  bool async_save = false;  // checkpoint.async_save: the kill may land while a background save is writing
  int every_steps = 1;      // > 1: the resume goes back to a checkpoint before the steps already logged
};

class ResumeCommands : public ::testing::TestWithParam<Case> {};

TEST_P(ResumeCommands, KilledAtARandomStepResumesToTheSameBytes) {
  const Case c = GetParam();
  test::TempDir dir;
  std::string out;
  ASSERT_EQ(test::run_command(quickstart(dir / "straight", c.ranks, c.tp, false, c.every_steps), &out), 0)
      << out;  // synchronous saves

  std::mt19937 rng(std::random_device{}());
  // With checkpoints every k > 1 steps, the kill lands after the first one is complete (else nothing is resumed).
  const int64_t first = c.every_steps > 1 ? c.every_steps + 1 : 1;
  int64_t step = std::uniform_int_distribution<int64_t>(first, c.last_step - 1)(rng);
  // The kill lands some milliseconds after `step` is logged; steps of this tiny run are fast enough that the stage
  // may have finished by then (its output published), and then nothing is left to resume. Such a kill missed the
  // point of the test: try again at an earlier step.
  const fs::path stage_output = dir / "cut" / (std::string(c.stage) == "stage1" ? "stage1/soft_prompt.safetensors"
                                                                                 : "stage2/adapter");
  for (int attempt = 1;; ++attempt) {
    std::cout << "kill -9 after " << c.stage << " step " << step << " of " << c.last_step << " on " << c.ranks
              << " ranks, TP " << c.tp << (c.async_save ? ", asynchronous saves" : "") << std::endl;
    const pid_t group =
        test::spawn(quickstart(dir / "cut", c.ranks, c.tp, c.async_save, c.every_steps), dir / "cut.log");
    ASSERT_NE(interrupt_at(group, dir / "cut" / c.stage / "metrics.jsonl", step, SIGKILL), -2)
        << "the run ended before the kill point:\n" << read_file(dir / "cut.log");
    if (!fs::exists(stage_output)) break;
    ASSERT_LT(attempt, 4) << "the kill landed after " << c.stage << " had finished, three times";
    std::cout << "the kill landed after " << c.stage << " had finished; again, earlier" << std::endl;
    fs::remove_all(dir / "cut");
    step = std::max<int64_t>(first, step / 2);
  }
  SCOPED_TRACE(::testing::Message() << "kill -9 after " << c.stage << " step " << step);
  ASSERT_EQ(test::run_command(quickstart(dir / "cut", c.ranks, c.tp, c.async_save, c.every_steps), &out), 0) << out;
  EXPECT_NE(out.find("resumed at step"), std::string::npos) << out;
  expect_same_outputs(dir / "cut", dir / "straight");
}

INSTANTIATE_TEST_SUITE_P(Layouts, ResumeCommands,
                         ::testing::Values(Case{2, 1, "stage1", 6}, Case{2, 2, "stage2", 8, /*async_save=*/true},
                                           Case{4, 2, "stage2", 8}, Case{2, 1, "stage2", 8, false, 3}),
                         [](const auto& info) {
                           return "Ranks" + std::to_string(info.param.ranks) + "Tp" + std::to_string(info.param.tp) +
                                  "_" + info.param.stage + (info.param.async_save ? "_AsyncSave" : "") +
                                  (info.param.every_steps > 1 ? "_Every" + std::to_string(info.param.every_steps) : "");
                         });

TEST(ResumeCommands, SigtermSavesExitsWithTheRequeueStatusAndResumes) {
  test::TempDir dir;
  std::string out;
  ASSERT_EQ(test::run_command(quickstart(dir / "straight", 1, 1), &out), 0) << out;
  const pid_t group = test::spawn(quickstart(dir / "cut", 1, 1), dir / "cut.log");
  EXPECT_EQ(interrupt_at(group, dir / "cut/stage2/metrics.jsonl", 3, SIGTERM), 75) << read_file(dir / "cut.log");
  EXPECT_NE(read_file(dir / "cut.log").find("exit status 75 asks for a requeue"), std::string::npos)
      << read_file(dir / "cut.log");
  ASSERT_EQ(test::run_command(quickstart(dir / "cut", 1, 1), &out), 0) << out;
  expect_same_outputs(dir / "cut", dir / "straight");
}

}  // namespace
}  // namespace delrec
