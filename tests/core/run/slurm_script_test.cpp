#include "core/run/slurm_script.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "core/run/exit_codes.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::run {
namespace {

config::Recipe recipe_with(const std::vector<std::string>& overrides) {
  return config::parse_recipe("run:\n  name: ml100k\n  out_dir: runs/x\n", "r.yaml", overrides);
}

SlurmSubmission submission(const std::filesystem::path& dir, std::vector<std::string> overrides = {}) {
  return {dir / "recipe.yaml", std::move(overrides), dir / "bin" / "delrec", dir};
}

TEST(SlurmScript, SbatchLinesFromTheRecipe) {
  test::TempDir dir;
  auto r = recipe_with({"slurm.nodes=2", "slurm.gpus_per_node=8", "slurm.partition=gpu", "slurm.time=1-00:00:00",
                        "slurm.sbatch_options=[--exclusive]"});
  std::string s = render_sbatch(r, submission(dir.path()));
  for (const char* line : {"#SBATCH --job-name=ml100k\n", "#SBATCH --nodes=2\n", "#SBATCH --ntasks-per-node=8\n",
                           "#SBATCH --gpus-per-node=8\n", "#SBATCH --partition=gpu\n", "#SBATCH --time=1-00:00:00\n",
                           "#SBATCH --requeue\n", "#SBATCH --signal=USR1@300\n", "#SBATCH --exclusive\n",
                           "srun --kill-on-bad-exit=1 --cpu-bind=none --mpi=pmix '"})
    EXPECT_NE(s.find(line), std::string::npos) << line << "\n" << s;
  EXPECT_NE(s.find("#SBATCH --output=" + (dir.path() / "runs/x/logs/slurm-%j.out").string()), std::string::npos);
  EXPECT_NE(s.find("if [ \"$rc\" -eq 75 ]"), std::string::npos);
  EXPECT_EQ(s.find("{{"), std::string::npos) << "unfilled placeholder";
  EXPECT_EQ(s.find("--account"), std::string::npos);  // empty keys leave no line
}

TEST(SlurmScript, UnsafeValuesAreRefusedWithTheirKey) {
  test::TempDir dir;
  auto expect_error = [&](const std::vector<std::string>& overrides, const std::string& needle) {
    try {
      render_sbatch(recipe_with(overrides), submission(dir.path()));
      ADD_FAILURE() << "no error for " << needle;
    } catch (const UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  expect_error({"slurm.partition=gpu --wrap=rm"}, "slurm.partition: 'gpu --wrap=rm' holds characters");
  expect_error({"run.name=$(reboot)"}, "run.name:");
  expect_error({"slurm.time=soon"}, "slurm.time: 'soon' is not a Slurm time limit");
  expect_error({"slurm.env=[\"A B=1\"]"}, "slurm.env: 'A B=1' must be NAME=value");
  expect_error({"slurm.sbatch_options=[exclusive]"}, "must be a long option");
}

// Runs the rendered script with `srun` and `scontrol` replaced by small programs that record their arguments:
// hostile overrides must reach delrec as the exact same words, and exit status 75 must request a requeue.
TEST(SlurmScript, OverridesReachTheRanksVerbatimAndRequeueOn75) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "bin");
  write_file_atomically(dir / "bin" / "srun", "#!/bin/bash\nwhile [[ $1 == --* ]]; do shift; done\n"
                                              "printf '%s\\n' \"$@\" > \"$ARGS_OUT\"\nexit \"$SRUN_EXIT\"\n");
  write_file_atomically(dir / "bin" / "scontrol", "#!/bin/bash\necho \"$@\" > \"$REQUEUE_OUT\"\n");
  std::filesystem::permissions(dir / "bin" / "srun", std::filesystem::perms::owner_all);
  std::filesystem::permissions(dir / "bin" / "scontrol", std::filesystem::perms::owner_all);

  std::vector<std::string> hostile = {"run.name=it's $(touch pwned) `id` \"x\"; exit 3", "data.seed=7"};
  std::string script = render_sbatch(recipe_with({}), submission(dir.path(), hostile));
  write_file_atomically(dir / "job.sbatch", script);

  std::string env = "PATH=" + (dir / "bin").string() + ":$PATH SLURM_JOB_ID=42 SLURM_JOB_NUM_NODES=1 ARGS_OUT=" +
                    (dir / "args").string() + " REQUEUE_OUT=" + (dir / "requeue").string();
  EXPECT_EQ(test::run_command(env + " SRUN_EXIT=0 bash " + (dir / "job.sbatch").string()), 0);
  std::string args = read_file(dir / "args");
  EXPECT_EQ(args, (dir / "bin" / "delrec").string() + "\nrun\n" + (dir / "recipe.yaml").string() + "\n" + hostile[0] +
                      "\n" + hostile[1] + "\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "pwned"));
  EXPECT_FALSE(std::filesystem::exists(dir / "requeue"));

  EXPECT_EQ(test::run_command(env + " SRUN_EXIT=75 bash " + (dir / "job.sbatch").string()), kExitRequeue);
  EXPECT_EQ(read_file(dir / "requeue"), "requeue 42\n");
}

// Every string that reaches the script holds quotes, $(...), backticks, newlines and {{placeholders}}: rendered in
// one pass and quoted once, the script runs (srun stubbed) with each value arriving verbatim and none executed.
TEST(SlurmScript, HostileStringsEverywhereAreNeverExecuted) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "bin");
  write_file_atomically(dir / "bin" / "srun", "#!/bin/bash\nwhile [[ $1 == --* ]]; do shift; done\n"
                                              "printf '%s\\0' \"$@\" > \"$ARGS_OUT\"\n"
                                              "printf '%s\\0' \"$X\" \"$Y\" > \"$ENV_OUT\"\n");
  std::filesystem::permissions(dir / "bin" / "srun", std::filesystem::perms::owner_all);
  const std::string evil = "'q' \"d\" $(touch pwned1) `touch pwned2` ;touch pwned3\n{{launch_line}} {{run_dir}}";
  const std::string x = "{{launch_line}}";
  const std::string y = evil + " {{env_lines}}";
  const std::vector<std::string> overrides = {
      "prompt.recommend=" + evil + "{soft_prompt}{history}{candidates}",
      "slurm.env=[" + nlohmann::json("X=" + x).dump() + ", " + nlohmann::json("Y=" + y).dump() + "]",
      "run.out_dir=" + (dir / "run").string()};
  config::Recipe recipe = recipe_with(overrides);
  SlurmSubmission sub = submission(dir.path(), overrides);
  sub.recipe_path = dir / ("r $(touch pwned4) {{launch_line}}'.yaml");
  const std::string script = render_sbatch(recipe, sub);
  write_file_atomically(dir / "job.sbatch", script);
  const std::string env = "PATH=" + (dir / "bin").string() + ":$PATH SLURM_JOB_ID=42 SLURM_JOB_NUM_NODES=1 ARGS_OUT=" +
                          (dir / "args").string() + " ENV_OUT=" + (dir / "env").string();
  std::string out;
  EXPECT_EQ(test::run_command(env + " bash " + (dir / "job.sbatch").string(), &out), 0) << out << script;

  auto words = [](const std::string& nul_separated) {
    std::vector<std::string> w;
    for (size_t at = 0, end; (end = nul_separated.find('\0', at)) != std::string::npos; at = end + 1)
      w.push_back(nul_separated.substr(at, end - at));
    return w;
  };
  std::vector<std::string> expected = {(dir / "bin" / "delrec").string(), "run", sub.recipe_path.string()};
  expected.insert(expected.end(), overrides.begin(), overrides.end());
  EXPECT_EQ(words(read_file(dir / "args")), expected);
  EXPECT_EQ(words(read_file(dir / "env")), (std::vector<std::string>{x, y}));
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find("pwned"), std::string::npos) << e.path();
}

TEST(SlurmScript, EnvironmentThatTakesOverTheProcessNeedsAnExplicitOptIn) {
  test::TempDir dir;
  for (const char* name : {"LD_PRELOAD", "LD_LIBRARY_PATH", "BASH_ENV", "PATH"}) {
    const std::string entry = std::string("slurm.env=[\"") + name + "=/tmp/x\"]";
    const std::string msg = test::error_message<UsageError>(
        [&] { render_sbatch(recipe_with({entry}), submission(dir.path())); });
    EXPECT_NE(msg.find(std::string("slurm.env: ") + name + " changes which programs"), std::string::npos) << msg;
    EXPECT_NE(render_sbatch(recipe_with({entry, "slurm.env_override_process=true"}), submission(dir.path()))
                  .find(std::string("export ") + name + "='/tmp/x'"),
              std::string::npos);
  }
  EXPECT_NE(render_sbatch(recipe_with({"slurm.env=[NCCL_IB_HCA=mlx5]"}), submission(dir.path()))
                .find("export NCCL_IB_HCA='mlx5'"),
            std::string::npos);
}

TEST(SlurmScript, LauncherDecidesWhereTheTimeLimitSignalGoes) {
  test::TempDir dir;
  std::string srun = render_sbatch(recipe_with({"slurm.srun_mpi=pmi2"}), submission(dir.path()));
  EXPECT_NE(srun.find("#SBATCH --signal=USR1@300\n"), std::string::npos) << srun;
  EXPECT_NE(srun.find(" --mpi=pmi2 '"), std::string::npos) << srun;
  std::string cluster_default = render_sbatch(recipe_with({"slurm.srun_mpi="}), submission(dir.path()));
  EXPECT_EQ(cluster_default.find("--mpi="), std::string::npos) << cluster_default;
  // mpirun's ranks are not a job step: the signal must go to the batch shell, which passes it on.
  std::string mpirun = render_sbatch(recipe_with({"slurm.launcher=mpirun"}), submission(dir.path()));
  EXPECT_NE(mpirun.find("#SBATCH --signal=B:USR1@300\n"), std::string::npos) << mpirun;
  // mpirun hands only what -x names to ranks on other nodes: every name the script exports goes along.
  EXPECT_NE(mpirun.find("\nmpirun --bind-to none -x OMP_NUM_THREADS -x NCCL_DEBUG '"), std::string::npos) << mpirun;
  std::string with_env = render_sbatch(recipe_with({"slurm.launcher=mpirun", "slurm.env=[NCCL_SOCKET_IFNAME=ib0]"}),
                                       submission(dir.path()));
  EXPECT_NE(with_env.find("-x NCCL_DEBUG -x NCCL_SOCKET_IFNAME '"), std::string::npos) << with_env;
  const std::string hostile = test::error_message<UsageError>(
      [&] { render_sbatch(recipe_with({"slurm.srun_mpi=pmix;reboot"}), submission(dir.path())); });
  EXPECT_NE(hostile.find("slurm.srun_mpi"), std::string::npos) << hostile;
}

TEST(SlurmScript, TimeLimitSignalIsConfigurableAndMustBeARequeueSignal) {
  test::TempDir dir;
  const std::string usr2 = render_sbatch(
      recipe_with({"slurm.launcher=mpirun", "slurm.signal=USR2", "checkpoint.requeue_signals=[SIGTERM, SIGUSR2]"}),
      submission(dir.path()));
  EXPECT_NE(usr2.find("#SBATCH --signal=B:USR2@300\n"), std::string::npos) << usr2;
  EXPECT_NE(usr2.find("kill -USR2 \"$child\" 2>/dev/null' USR2\n"), std::string::npos) << usr2;
  EXPECT_NE(usr2.find("Slurm sends SIGUSR2 to this shell"), std::string::npos) << usr2;
  // USR2 would kill ranks that only save on SIGTERM and SIGUSR1.
  const std::string refused = test::error_message<UsageError>(
      [&] { render_sbatch(recipe_with({"slurm.signal=USR2"}), submission(dir.path())); });
  EXPECT_NE(refused.find("slurm.signal: SIGUSR2 is not in checkpoint.requeue_signals [SIGTERM, SIGUSR1]"),
            std::string::npos)
      << refused;
}

// The batch shell under signals, with a stand-in `srun` that exits 75 (saved, requeue me) on SIGTERM or SIGUSR1.
// SIGUSR1 (the time-limit notice, sent with B: to the shell) must end in `scontrol requeue`; SIGTERM means Slurm
// itself is requeueing, preempting or cancelling the job, so the script must not requeue it (a cancelled job
// would come back).
TEST(SlurmScript, RequeuesAfterTheTimeLimitSignalButNotAfterSlurmsTerm) {
  test::TempDir dir;
  std::filesystem::create_directories(dir / "bin");
  write_file_atomically(dir / "bin" / "mpirun",
                        "#!/bin/bash\ntrap 'kill $s; echo saved >> \"$SAVED_OUT\"; exit 75' TERM USR1\n"
                        "sleep 30 & s=$!\ntouch \"$STARTED\"\nwait $s\n");
  write_file_atomically(dir / "bin" / "scontrol", "#!/bin/bash\necho \"$@\" >> \"$REQUEUE_OUT\"\n");
  std::filesystem::permissions(dir / "bin" / "mpirun", std::filesystem::perms::owner_all);
  std::filesystem::permissions(dir / "bin" / "scontrol", std::filesystem::perms::owner_all);
  write_file_atomically(dir / "job.sbatch",
                        render_sbatch(recipe_with({"slurm.launcher=mpirun"}), submission(dir.path())));

  std::string env = "PATH=" + (dir / "bin").string() + ":$PATH SLURM_JOB_ID=42 SLURM_JOB_NUM_NODES=1 SAVED_OUT=" +
                    (dir / "saved").string() + " REQUEUE_OUT=" + (dir / "requeue").string() +
                    " STARTED=" + (dir / "started").string();
  // The signal goes to the batch shell once the stand-in has started (the shell's traps are set before it starts).
  auto run_with_signal = [&](const std::string& sig) {
    std::filesystem::remove(dir / "started");
    return test::run_command("(" + env + " bash " + (dir / "job.sbatch").string() +
                             " & pid=$!; for i in $(seq 300); do [ -e " + (dir / "started").string() +
                             " ] && break; sleep 0.1; done; kill -" + sig + " $pid; wait $pid)");
  };
  EXPECT_EQ(run_with_signal("TERM"), kExitRequeue);
  EXPECT_EQ(read_file(dir / "saved"), "saved\n");
  EXPECT_FALSE(std::filesystem::exists(dir / "requeue"));

  EXPECT_EQ(run_with_signal("USR1"), kExitRequeue);
  EXPECT_EQ(read_file(dir / "saved"), "saved\nsaved\n");
  EXPECT_EQ(read_file(dir / "requeue"), "requeue 42\n");
}

// Ranks are placed node by node (ranks 0..R-1 on the first node): a TP group must fit inside one node's ranks, and
// a layout where it cannot is refused before anything is submitted, naming the ranks and nodes it would span.
TEST(SlurmScript, LayoutsWhoseTensorParallelGroupsSpanNodesAreRefused) {
  test::TempDir dir;
  const std::string cpu = render_sbatch(
      recipe_with({"slurm.nodes=2", "slurm.gpus_per_node=0", "slurm.ranks_per_node=2", "backbone.tp=2"}),
      submission(dir.path()));
  EXPECT_NE(cpu.find("#SBATCH --ntasks-per-node=2\n"), std::string::npos) << cpu;
  EXPECT_EQ(cpu.find("--gpus-per-node"), std::string::npos) << cpu;
  const std::string gpu = render_sbatch(recipe_with({"slurm.nodes=4", "slurm.gpus_per_node=8", "backbone.tp=8"}),
                                        submission(dir.path()));
  EXPECT_NE(gpu.find("#SBATCH --ntasks-per-node=8\n"), std::string::npos) << gpu;

  const auto refusal = [&](const std::vector<std::string>& overrides) {
    return test::error_message<UsageError>([&] { render_sbatch(recipe_with(overrides), submission(dir.path())); });
  };
  const std::string one_per_node =
      refusal({"slurm.nodes=2", "slurm.gpus_per_node=0", "slurm.ranks_per_node=1", "backbone.tp=2"});
  EXPECT_NE(one_per_node.find("backbone.tp 2 does not fit the job's slurm.nodes 2 x 1 ranks per node"),
            std::string::npos) << one_per_node;
  EXPECT_NE(one_per_node.find("spans 2 nodes: ranks 0 on node 1; ranks 1 on node 2"), std::string::npos)
      << one_per_node;
  // 3 ranks per node and tp 2: the second group holds rank 2 (node 1) and rank 3 (node 2).
  const std::string uneven = refusal({"slurm.nodes=2", "slurm.gpus_per_node=3", "backbone.tp=2"});
  EXPECT_NE(uneven.find("tensor-parallel group 1 (tp 2) spans 2 nodes: ranks 2 on node 1; ranks 3 on node 2"),
            std::string::npos) << uneven;
  const std::string indivisible = refusal({"slurm.nodes=1", "slurm.gpus_per_node=6", "backbone.tp=4"});
  EXPECT_NE(indivisible.find("is not divisible by tp(4)"), std::string::npos) << indivisible;
  // On GPU nodes delrec runs one rank per GPU: another count is a mistake, not a layout.
  const std::string mismatch = refusal({"slurm.gpus_per_node=8", "slurm.ranks_per_node=4"});
  EXPECT_NE(mismatch.find("slurm.ranks_per_node: 4 ranks on nodes of 8 GPUs"), std::string::npos) << mismatch;
}

}  // namespace
}  // namespace delrec::run
