// `delrec plan` on Llama 3 70B's config.json (tests/data/llama-3-70b, no weights) for one node of 8 H100-80GB, and
// the refusals of `delrec run` / `delrec slurm submit` for a layout predicted not to fit, through the built binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace delrec {
namespace {

std::string plan_command(const std::string& extra) {
  return test::delrec_binary().string() + " plan " + (fs::path(DELREC_SOURCE_DIR) / "recipes/ml100k-delrec-llama.yaml").string() +
         " backbone.path=" + (test::test_data_dir() / "llama-3-70b").string() + " " + extra;
}

nlohmann::json plan_json(const std::string& extra) {
  std::string out;
  EXPECT_EQ(test::run_command(plan_command("--json " + extra) + " 2>/dev/null", &out), 0) << out;
  return nlohmann::json::parse(out);
}

const nlohmann::json& layout(const nlohmann::json& plan, int tp) {
  for (const auto& l : plan.at("layouts"))
    if (l.at("tp") == tp) return l;
  throw std::runtime_error("no layout with tp " + std::to_string(tp) + ": " + plan.dump());
}

// Llama 3 70B's weights on one rank of TP t, counted from its shape (bfloat16): 80 layers of q (64 heads of 128),
// k and v (8 key/value heads of 128), o, gate/up/down (28672) and two norms; embedding and head (128256 rows) split
// by rows; the final norm.
double weights_bytes_70b(int64_t t) {
  const int64_t h = 8192, layer = h * (64 / t * 128) * 2 + 2 * h * (std::max<int64_t>(1, 8 / t) * 128) +
                                  3 * h * (28672 / t) + 2 * h;
  return 2.0 * static_cast<double>(80 * layer + h + 2 * (128256 / t) * h);
}

TEST(PlanCommands, Llama70bOnEightH100s) {
  const nlohmann::json plan = plan_json("--nodes 1 --gpus-per-node 8 --gpu h100-80gb");
  ASSERT_EQ(plan.at("layouts").size(), 4u) << plan.dump();  // TP 1, 2, 4, 8; DP 8, 4, 2, 1
  for (int tp : {1, 2, 4, 8}) {
    const auto& l = layout(plan, tp);
    EXPECT_EQ(l.at("dp"), 8 / tp);
    for (const char* stage : {"teacher", "stage1", "stage2", "eval"}) {
      ASSERT_TRUE(l.at("stages").contains(stage)) << l.dump();
      EXPECT_GT(l["stages"][stage].at("peak_bytes_per_rank").get<double>(), 0);
      EXPECT_GT(l["stages"][stage].at("step_seconds").get<double>(), 0);
    }
    EXPECT_DOUBLE_EQ(l["stages"]["stage2"]["weights_bytes"].get<double>(), weights_bytes_70b(tp)) << tp;
  }
  // 141 GB of weights cannot sit on one 80 GB GPU, nor 70 GB with everything else at TP 2.
  EXPECT_FALSE(layout(plan, 1).at("fits").get<bool>());
  EXPECT_FALSE(layout(plan, 2).at("fits").get<bool>());
  EXPECT_TRUE(layout(plan, 8).at("fits").get<bool>());
  ASSERT_TRUE(plan.at("recommended").is_object()) << plan.dump();
  EXPECT_TRUE(layout(plan, plan["recommended"]["tp"].get<int>()).at("fits").get<bool>());

  std::string table;
  ASSERT_EQ(test::run_command(plan_command("--nodes 1 --gpus-per-node 8 --gpu h100-80gb"), &table), 0) << table;
  EXPECT_NE(table.find("recommended: tp "), std::string::npos) << table;
  EXPECT_NE(table.find("does not fit"), std::string::npos) << table;
}

TEST(PlanCommands, RecomputationLowersActivationsAndAddsTime) {
  auto stage2 = [](const std::string& mode) {
    const nlohmann::json p = plan_json("--gpus-per-node 8 --gpu h200-141gb backbone.recompute=" + mode);
    return layout(p, 8)["stages"]["stage2"];
  };
  const auto none = stage2("none"), selective = stage2("selective"), full = stage2("full");
  EXPECT_GT(none["activation_bytes"].get<double>(), selective["activation_bytes"].get<double>());
  EXPECT_GT(selective["activation_bytes"].get<double>(), full["activation_bytes"].get<double>());
  EXPECT_LT(none["step_seconds"].get<double>(), selective["step_seconds"].get<double>());
  EXPECT_LT(selective["step_seconds"].get<double>(), full["step_seconds"].get<double>());
}

TEST(PlanCommands, RunAndSubmitRefuseALayoutThatCannotFit) {
  test::TempDir dir;
  // A scratch backbone of ~800 GB of float32 weights on this CPU: refused before any step runs.
  const std::string huge = " backbone.scratch.hidden=8192 backbone.scratch.layers=256 backbone.scratch.intermediate=28672 "
                           "backbone.scratch.heads=64 backbone.scratch.kv_heads=8";
  std::string out;
  EXPECT_NE(test::run_command(test::delrec_binary().string() + " quickstart run.out_dir=" + (dir / "q").string() +
                                  huge + " 2>&1",
                              &out),
            0);
  EXPECT_NE(out.find("predicted not to fit"), std::string::npos) << out;
  EXPECT_NE(out.find("--force"), std::string::npos) << out;
  EXPECT_FALSE(fs::exists(dir / "q" / "data.h5")) << "work started before the refusal";

  const std::string submit = test::delrec_binary().string() + " slurm submit --dry-run " +
                             (fs::path(DELREC_SOURCE_DIR) / "recipes/ml100k-delrec-llama.yaml").string() +
                             " backbone.path=" + (test::test_data_dir() / "llama-3-70b").string() +
                             " backbone.tp=1 --gpus-per-node 8 --gpu h100-80gb";
  EXPECT_NE(test::run_command(submit + " 2>&1", &out), 0);
  EXPECT_NE(out.find("tp 1 x dp 8 on h100-80gb is predicted not to fit"), std::string::npos) << out;
  ASSERT_EQ(test::run_command(submit + " --force 2>&1", &out), 0) << out;
  EXPECT_NE(out.find("#SBATCH"), std::string::npos) << out;
}

}  // namespace
}  // namespace delrec
