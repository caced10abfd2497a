// End-to-end: `delrec quickstart` (shrunk by overrides), its idempotent rerun, `delrec eval RUN_DIR`, and
// `delrec launch -n 2 --tp 2 -- run` on two ranks, through the built binary as a user runs them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/util/atomic_file.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace delrec {
namespace {

std::string quickstart_command(const fs::path& run) {
  return test::delrec_binary().string() + " quickstart run.out_dir=" + run.string() +
         test::small_quickstart_overrides() + " eval.ablations=all";
}

// The quickstart's table with eval.ablations = all: DELRec, each ablation, the teacher.
void expect_every_row(const fs::path& run_dir) {
  const auto results = nlohmann::json::parse(read_file(run_dir / "eval/results.json"));
  const std::vector<std::pair<std::string, std::string>> expected = {
      {"delrec", "DELRec"},
      {"no_ta", "w/o TA"},
      {"no_rps", "w/o RPS"},
      {"no_soft_prompt", "w/o soft prompt (stage 2 only)"},
      {"no_stage2", "w/o stage 2 (frozen LLM)"},
      {"zero_shot", "LLM zero-shot"},
      {"teacher", "SASRec (teacher)"}};
  ASSERT_EQ(results.at("rows").size(), expected.size()) << results.dump();
  for (size_t i = 0; i < expected.size(); ++i) {
    const auto& row = results["rows"][i];
    EXPECT_EQ(row["id"], expected[i].first);
    EXPECT_EQ(row["model"], expected[i].second);
    EXPECT_EQ(row["examples"].get<int>(), 12);
    for (const char* k : {"HR@1", "HR@5", "NDCG@5", "HR@10", "NDCG@10"}) {
      EXPECT_GE(row[k].get<double>(), 0.0);
      EXPECT_LE(row[k].get<double>(), 1.0);
    }
    EXPECT_LE(row["HR@1"].get<double>(), row["HR@5"].get<double>());
    // The runs whose stage 1 trained RPS report how often its target was the true next item.
    EXPECT_EQ(row.contains("rps_targets"), i < 2) << row.dump();
  }
  const auto rps = results["rows"][0]["rps_targets"];
  EXPECT_EQ(rps["candidates"], "teacher_topk");
  EXPECT_GT(rps["examples"].get<int>(), 0);
  EXPECT_NEAR(rps["rate"].get<double>(), rps["target_is_true_item"].get<double>() / rps["examples"].get<double>(), 1e-12);
}

TEST(RunCommands, QuickstartRunsEveryStepThenSkipsThemAndEvalRepeatsTheTable) {
  test::TempDir dir;
  const fs::path run = dir / "q";
  std::string out;
  ASSERT_EQ(test::run_command(quickstart_command(run), &out), 0) << out;
  EXPECT_NE(out.find("DELRec"), std::string::npos) << out;
  for (const char* f : {"data.h5", "teacher/sasrec.pt", "teacher_cache/manifest.json", "backbone/config.json",
                        "backbone/tokenizer.json", "stage1/soft_prompt.safetensors", "stage1/metrics.jsonl",
                        "stage2/adapter/adapter_config.json", "stage2/adapter/adapter_model.safetensors",
                        "stage2_no_soft_prompt/adapter/adapter_model.safetensors", "eval/results.md",
                        "stage1/rps_targets.json", "stage1_no_ta/soft_prompt.safetensors",
                        "stage2_no_ta/adapter/adapter_model.safetensors", "stage1_no_rps/soft_prompt.safetensors",
                        "stage2_no_rps/adapter/adapter_model.safetensors", "recipe.resolved.yaml"})
    EXPECT_TRUE(fs::exists(run / f)) << f;
  EXPECT_FALSE(fs::exists(run / "stage1_no_rps/rps_targets.json"));
  expect_every_row(run);
  const std::string first = read_file(run / "eval/results.json");

  ASSERT_EQ(test::run_command(quickstart_command(run), &out), 0) << out;
  EXPECT_NE(out.find("stage 2: " + (run / "stage2/adapter").string() + " exists, skipping"), std::string::npos) << out;
  EXPECT_EQ(read_file(run / "eval/results.json"), first);  // evaluation is deterministic

  ASSERT_EQ(test::run_command(test::delrec_binary().string() + " eval " + run.string(), &out), 0) << out;
  EXPECT_EQ(read_file(run / "eval/results.json"), first);
  EXPECT_NE(out.find("w/o soft prompt (stage 2 only)"), std::string::npos) << out;
  EXPECT_NE(out.find("RPS target = true next item (DELRec)"), std::string::npos) << out;

  EXPECT_EQ(test::run_command(test::delrec_binary().string() + " eval " + (dir / "nothing").string(), &out), 1);
  EXPECT_NE(out.find("not a delrec run directory"), std::string::npos) << out;
}

TEST(RunCommands, RunOnTwoRanksWithTensorParallelism) {
  test::TempDir dir;
  const fs::path run = dir / "tp2";
  std::string out;
  ASSERT_EQ(test::run_command("env -u SLURM_JOB_ID " + test::kMpiEnv + test::delrec_binary().string() +
                                  " launch -n 2 --tp 2 -- quickstart run.out_dir=" + run.string() +
                                  test::small_quickstart_overrides() + " eval.ablations=none",
                              &out),
            0)
      << out;
  const auto results = nlohmann::json::parse(read_file(run / "eval/results.json"));
  ASSERT_EQ(results.at("rows").size(), 2u) << results.dump();
  EXPECT_EQ(results["rows"][0]["model"], "DELRec");
  EXPECT_EQ(results["rows"][1]["model"], "SASRec (teacher)");
}

}  // namespace
}  // namespace delrec
