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
         test::small_quickstart_overrides();
}

void expect_three_rows(const fs::path& run_dir) {
  const auto results = nlohmann::json::parse(read_file(run_dir / "eval/results.json"));
  ASSERT_EQ(results.at("rows").size(), 4u) << results.dump();
  EXPECT_EQ(results["rows"][0]["model"], "SASRec (teacher)");
  EXPECT_EQ(results["rows"][1]["model"], "LLM zero-shot");
  EXPECT_EQ(results["rows"][2]["model"], "LLM + LoRA, no soft prompt");
  EXPECT_EQ(results["rows"][3]["model"], "DELRec");
  for (const auto& row : results["rows"]) {
    EXPECT_EQ(row["examples"].get<int>(), 12);
    for (const char* k : {"HR@1", "HR@5", "NDCG@5", "HR@10", "NDCG@10"}) {
      EXPECT_GE(row[k].get<double>(), 0.0);
      EXPECT_LE(row[k].get<double>(), 1.0);
    }
    EXPECT_LE(row["HR@1"].get<double>(), row["HR@5"].get<double>());
  }
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
                        "recipe.resolved.yaml"})
    EXPECT_TRUE(fs::exists(run / f)) << f;
  expect_three_rows(run);
  const std::string first = read_file(run / "eval/results.json");

  ASSERT_EQ(test::run_command(quickstart_command(run), &out), 0) << out;
  EXPECT_NE(out.find("stage 2: " + (run / "stage2/adapter").string() + " exists, skipping"), std::string::npos) << out;
  EXPECT_EQ(read_file(run / "eval/results.json"), first);  // evaluation is deterministic

  ASSERT_EQ(test::run_command(test::delrec_binary().string() + " eval " + run.string(), &out), 0) << out;
  EXPECT_EQ(read_file(run / "eval/results.json"), first);
  EXPECT_NE(out.find("LLM + LoRA, no soft prompt"), std::string::npos) << out;

  EXPECT_EQ(test::run_command(test::delrec_binary().string() + " eval " + (dir / "nothing").string(), &out), 1);
  EXPECT_NE(out.find("not a delrec run directory"), std::string::npos) << out;
}

TEST(RunCommands, RunOnTwoRanksWithTensorParallelism) {
  test::TempDir dir;
  const fs::path run = dir / "tp2";
  std::string out;
  ASSERT_EQ(test::run_command("env -u SLURM_JOB_ID " + test::kMpiEnv + test::delrec_binary().string() +
                                  " launch -n 2 --tp 2 -- quickstart run.out_dir=" + run.string() +
                                  test::small_quickstart_overrides() + " stage2.ablation=false",
                              &out),
            0)
      << out;
  const auto results = nlohmann::json::parse(read_file(run / "eval/results.json"));
  ASSERT_EQ(results.at("rows").size(), 3u) << results.dump();
  EXPECT_EQ(results["rows"][2]["model"], "DELRec");
}

}  // namespace
}  // namespace delrec
