#include "core/run/run_status.h"

#include <gtest/gtest.h>

#include "core/config/recipe.h"
#include "core/train/checkpoint_store.h"
#include "core/util/atomic_file.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace delrec::run {
namespace {

void touch(const fs::path& path, const std::string& text = "x") { write_file_atomically(path, text); }

// A run preempted in stage 2: every earlier output exists, stage 2 logged three steps (the last line cut short by
// the kill) and saved checkpoints at steps 4 and 8, then one more save was interrupted.
fs::path preempted_in_stage2(const fs::path& root) {
  const fs::path run = root / "run";
  for (const char* f : {"data.h5", "teacher/sasrec.pt", "teacher_cache/manifest.json", "stage1/soft_prompt.safetensors"})
    touch(run / f);
  touch(run / "stage1/metrics.jsonl", R"({"stage":"stage1","step":30,"loss":1.5})" "\n");
  touch(run / "stage2/metrics.jsonl", R"({"stage":"stage2","step":5,"loss":2.25})" "\n"
                                      R"({"stage":"stage2","step":10,"loss":2.0,"lr":0.001})" "\n"
                                      R"({"stage":"stage2","st)");
  train::CheckpointStore store(run / "stage2/checkpoints", 3);
  for (int64_t step : {4, 8})
    store.save(step, [&](const fs::path& dir) { touch(dir / "rank-00000.safetensors", "state at " + std::to_string(step)); });
  fs::create_directories(run / "stage2/checkpoints/step-000012.tmp");
  touch(run / "logs/slurm-17.out", "delrec job 17\n");
  return run;
}

TEST(RunStatus, PreemptedRunShowsStageStepCheckpointsAndMetrics) {
  test::TempDir dir;
  const fs::path run = preempted_in_stage2(dir.path());
  const RunStatus s = read_run_status(run);

  ASSERT_TRUE(s.current.has_value());
  EXPECT_EQ(s.steps[*s.current].name, "stage 2");
  ASSERT_EQ(s.steps.size(), 11u);  // default recipe: with every ablation (4 steps without TA or RPS, 1 without soft prompt)
  for (size_t i = 0; i < s.steps.size(); ++i) EXPECT_EQ(s.steps[i].done, i < 4) << s.steps[i].name;
  ASSERT_TRUE(s.metrics.has_value());
  EXPECT_EQ(s.metrics->at("step"), 10);  // the cut line is skipped
  EXPECT_EQ(s.metrics_file, run / "stage2/metrics.jsonl");

  ASSERT_EQ(s.checkpoints.size(), 2u);
  EXPECT_EQ(s.checkpoints[0].step, 4);
  EXPECT_EQ(s.checkpoints[1].step, 8);
  EXPECT_FALSE(s.checkpoints[0].latest);
  EXPECT_TRUE(s.checkpoints[1].latest);
  EXPECT_EQ(s.checkpoints[0].problem, "");
  EXPECT_EQ(s.checkpoints[1].problem, "");
  EXPECT_EQ(s.partial_checkpoints, std::vector<std::string>{"step-000012.tmp"});
  ASSERT_EQ(s.logs.size(), 1u);
  EXPECT_EQ(s.logs[0], run / "logs/slurm-17.out");

  const std::string text = format_run_status(s);
  for (const std::string needle :
       {"[done] stage 1", "[next] stage 2", "in progress (or next to run): stage 2, last logged step 10",
        "step        8  intact  (latest)", "step-000012.tmp  (interrupted save, ignored)", "loss=2", "lr=0.001",
        "newest slurm-17.out"})
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
}

TEST(RunStatus, ShowsWhatEachOutputWasMadeFrom) {
  test::TempDir dir;
  const fs::path run = preempted_in_stage2(dir.path());
  const Provenance teacher{{{"teacher.model", "sasrec"}, {"teacher.lr", "0.001"}}, {{"dataset", "1fe831ec2fd0b8a6"}}};
  write_provenance(run / "teacher/sasrec.pt", teacher);
  touch(run / "teacher_cache/manifest.json.provenance.json", "{not json");
  const RunStatus s = read_run_status(run);
  ASSERT_TRUE(s.steps[1].provenance.has_value());
  EXPECT_EQ(s.steps[1].provenance->recipe.at("teacher.model"), "sasrec");
  EXPECT_NE(s.steps[2].provenance_problem.find("not a provenance record"), std::string::npos);
  EXPECT_FALSE(s.steps[3].provenance.has_value());  // stage 1: no record
  const std::string text = format_run_status(s);
  for (const std::string needle :
       {"made from: dataset 1fe831ec2fd0; teacher.lr=0.001 teacher.model=sasrec", "manifest.json.provenance.json: "
        "not a provenance record", "made from: (no provenance record"})
    EXPECT_NE(text.find(needle), std::string::npos) << needle << "\n" << text;
  EXPECT_EQ(run_status_json(s)["steps"][1]["provenance"]["inputs"]["dataset"], "1fe831ec2fd0b8a6");
  EXPECT_TRUE(run_status_json(s)["steps"][0]["provenance"].is_null());
}

TEST(RunStatus, CorruptCheckpointIsMarkedBroken) {
  test::TempDir dir;
  const fs::path run = preempted_in_stage2(dir.path());
  touch(run / "stage2/checkpoints/step-000008/rank-00000.safetensors", "state at 9");  // same size, other bytes
  const RunStatus s = read_run_status(run);
  ASSERT_EQ(s.checkpoints.size(), 2u);
  EXPECT_EQ(s.checkpoints[0].problem, "");
  EXPECT_NE(s.checkpoints[1].problem.find("CRC-32"), std::string::npos) << s.checkpoints[1].problem;
  EXPECT_NE(format_run_status(s).find("step        8  BROKEN: "), std::string::npos) << format_run_status(s);
  const auto j = run_status_json(s);
  EXPECT_EQ(j["checkpoints"][1]["intact"], false);
  EXPECT_EQ(j["checkpoints"][0]["intact"], true);
}

TEST(RunStatus, NoCheckpointFolderAndNothingDone) {
  test::TempDir dir;
  fs::create_directories(dir / "run");
  const RunStatus s = read_run_status(dir / "run");
  ASSERT_TRUE(s.current.has_value());
  EXPECT_EQ(*s.current, 0u);  // prepare
  EXPECT_TRUE(s.checkpoint_root.empty());  // prepare has no stage directory
  EXPECT_FALSE(s.metrics.has_value());
  EXPECT_NE(format_run_status(s).find("job logs: " + (dir / "run/logs").string() + " (none yet)"), std::string::npos);

  // Stage 1 next, its folder not yet created: no checkpoints, the teacher's metrics are the last ones.
  for (const char* f : {"data.h5", "teacher/sasrec.pt", "teacher_cache/manifest.json"}) touch(dir / "run" / f);
  touch(dir / "run/teacher/sasrec.metrics.jsonl", R"({"epoch":2,"valid_ndcg10":0.25})" "\n");
  const RunStatus s1 = read_run_status(dir / "run");
  EXPECT_EQ(s1.steps[*s1.current].name, "stage 1");
  EXPECT_TRUE(s1.checkpoints.empty());
  ASSERT_TRUE(s1.metrics.has_value());
  EXPECT_EQ(s1.metrics->at("epoch"), 2);
  EXPECT_NE(format_run_status(s1).find("checkpoints: none in " + (dir / "run/stage1/checkpoints").string()),
            std::string::npos);
}

TEST(RunStatus, ResolvedRecipeDecidesTheOutputsAndAFinishedRunShowsTheTable) {
  test::TempDir dir;
  const fs::path run = dir / "run";
  config::write_resolved_recipe(config::parse_recipe("teacher:\n  model: gru4rec\neval:\n  ablations: zero_shot\n",
                                                     "r.yaml"),
                                run);
  for (const char* f : {"data.h5", "teacher/gru4rec.pt", "teacher_cache/manifest.json",
                        "stage1/soft_prompt.safetensors", "stage2/adapter/adapter_config.json", "eval/results.json"})
    touch(run / f);
  touch(run / "eval/results.md", "| model | HR@1 |\n| DELRec | 0.5 |\n");
  touch(run / "stage2/metrics.jsonl", R"({"stage":"stage2","step":40,"loss":1.0})" "\n");

  const RunStatus s = read_run_status(run);
  EXPECT_TRUE(s.resolved_recipe);
  EXPECT_FALSE(s.current.has_value());
  ASSERT_EQ(s.steps.size(), 6u);  // no ablation with a training step of its own
  EXPECT_EQ(s.steps[1].output, run / "teacher/gru4rec.pt");
  EXPECT_EQ(s.metrics->at("step"), 40);
  const std::string text = format_run_status(s);
  EXPECT_NE(text.find("finished\n"), std::string::npos) << text;
  EXPECT_NE(text.find("| DELRec | 0.5 |"), std::string::npos) << text;

  const auto j = run_status_json(s);
  EXPECT_EQ(j["finished"], true);
  EXPECT_TRUE(j["current"].is_null());
  EXPECT_EQ(j["steps"].size(), 6u);
  EXPECT_EQ(j["results_table"], "| model | HR@1 |\n| DELRec | 0.5 |\n");
}

TEST(RunStatus, CommandPrintsTextAndJson) {
  test::TempDir dir;
  const fs::path run = preempted_in_stage2(dir.path());
  std::string out;
  ASSERT_EQ(test::run_command(test::delrec_binary().string() + " slurm status " + run.string(), &out), 0) << out;
  EXPECT_NE(out.find("[next] stage 2"), std::string::npos) << out;
  ASSERT_EQ(test::run_command(test::delrec_binary().string() + " slurm status --json " + run.string() + " 2>/dev/null",
                              &out),
            0)
      << out;
  const auto j = nlohmann::json::parse(out);
  EXPECT_EQ(j["current"], "stage 2");
  EXPECT_EQ(j["metrics"]["step"], 10);
  EXPECT_EQ(j["checkpoints"].size(), 2u);
  EXPECT_EQ(test::run_command(test::delrec_binary().string() + " slurm status " + (dir / "none").string(), &out), 1);
  EXPECT_NE(out.find("is not a directory"), std::string::npos) << out;
}

}  // namespace
}  // namespace delrec::run
