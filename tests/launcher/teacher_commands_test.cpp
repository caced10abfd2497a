// End-to-end: `delrec teacher train`, `eval` and `cache` on a small synthetic recipe, as a user runs them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/util/atomic_file.h"
#include "tests/test_support.h"

namespace delrec {
namespace {

std::string delrec_cmd(const std::string& args) { return test::delrec_binary().string() + " " + args; }

TEST(TeacherCommands, TrainEvalCache) {
  test::TempDir dir;
  const auto recipe = dir / "r.yaml";
  write_file_atomically(recipe, "run: {out_dir: " + dir.path().string() +
                                    "/run}\n"
                                    "data: {dataset: synthetic, synthetic: {users: 60, items: 50}}\n"
                                    "teacher: {max_len: 20, epochs: 3, eval_every: 2, batch_size: 32, top_k: 5,\n"
                                    "          cache_shards: 2, cache_train_prefixes: 3, sasrec: {hidden: 16}}\n");
  std::string out;
  ASSERT_EQ(test::run_command(delrec_cmd("teacher train " + recipe.string()), &out), 0) << out;
  EXPECT_NE(out.find("best validation NDCG@10"), std::string::npos) << out;
  EXPECT_TRUE(std::filesystem::exists(dir / "run/teacher/sasrec.pt"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/teacher/sasrec.metrics.jsonl"));

  ASSERT_EQ(test::run_command(delrec_cmd("teacher eval " + recipe.string()), &out), 0) << out;
  EXPECT_NE(out.find("full catalogue"), std::string::npos) << out;
  const auto eval = nlohmann::json::parse(read_file(dir / "run/teacher/sasrec.eval.test.json"));
  EXPECT_EQ(eval.at("candidates").at("count").get<int>(), 60);

  ASSERT_EQ(test::run_command(delrec_cmd("teacher cache " + recipe.string()), &out), 0) << out;
  const auto manifest = nlohmann::json::parse(read_file(dir / "run/teacher_cache/manifest.json"));
  EXPECT_EQ(manifest.at("shards").size(), 2u);
  EXPECT_EQ(manifest.at("top_k").get<int>(), 5);
  EXPECT_EQ(manifest.at("checkpoint_sha256").get<std::string>().size(), 64u);

  // A different data seed makes different candidates: the old checkpoint is refused for it.
  EXPECT_EQ(test::run_command(delrec_cmd("teacher eval " + recipe.string() + " data.seed=7 data.prepared=" +
                                         (dir / "other.h5").string()),
                              &out),
            1);
  EXPECT_NE(out.find("retrain it with `delrec teacher train RECIPE`"), std::string::npos) << out;

  // The run's data.h5 was made from another `data` section than the overridden one: refused, never reused.
  EXPECT_EQ(test::run_command(delrec_cmd("teacher train " + recipe.string() + " data.seed=7"), &out), 1);
  EXPECT_NE(out.find("data.h5 was prepared with a different `data` section"), std::string::npos) << out;
}

TEST(TeacherCommands, EvalWithoutCheckpointSaysHowToTrain) {
  test::TempDir dir;
  const auto recipe = dir / "r.yaml";
  write_file_atomically(recipe, "run: {out_dir: " + dir.path().string() + "/run}\n"
                                    "data: {dataset: synthetic, synthetic: {users: 20, items: 100}}\n");
  std::string out;
  EXPECT_EQ(test::run_command(delrec_cmd("teacher eval " + recipe.string()), &out), 1);
  EXPECT_NE(out.find("delrec teacher train"), std::string::npos) << out;
}

}  // namespace
}  // namespace delrec
