// End-to-end: an output made from other inputs is never reused. A changed teacher is refused with the differences
// before anything is trained; once the named outputs are deleted, the run rebuilds from the changed step on and
// reports the new teacher's own numbers. Keys that do not shape an output (validation cadence) reuse it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/run/provenance.h"
#include "core/util/atomic_file.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace delrec {
namespace {

int quickstart(const fs::path& run, const std::string& overrides, std::string* out) {
  return test::run_command(test::delrec_binary().string() + " quickstart run.out_dir=" + run.string() +
                               test::small_quickstart_overrides() + overrides,
                           out);
}

// A finished small quickstart in <dir>/q.
fs::path finished_quickstart(const test::TempDir& dir) {
  std::string out;
  EXPECT_EQ(quickstart(dir / "q", "", &out), 0) << out;
  return dir / "q";
}

TEST(ProvenanceCommands, ChangedTeacherIsRefusedThenRebuiltFromThatStepOn) {
  test::TempDir dir;
  const fs::path run = finished_quickstart(dir);
  std::string out;
  const std::string sasrec_results = read_file(run / "eval/results.json");
  EXPECT_EQ(nlohmann::json::parse(sasrec_results)["rows"].back()["model"], "SASRec (teacher)");

  EXPECT_EQ(quickstart(run, " teacher.model=gru4rec", &out), 1) << out;
  EXPECT_NE(out.find("teacher_cache/manifest.json was made from other inputs"), std::string::npos) << out;
  EXPECT_NE(out.find("recipe key teacher.model: made with sasrec, this run has gru4rec"), std::string::npos) << out;
  EXPECT_NE(out.find("recipe key teacher.sasrec.hidden: made with 50, this run has (absent)"), std::string::npos)
      << out;
  const std::string listed = "rm -r " + (run / "teacher_cache/manifest.json").string() + " " +
                             (run / "stage1").string() + " " + (run / "stage2").string() + " " +
                             (run / "stage2_no_soft_prompt").string() + " " + (run / "eval").string();
  EXPECT_NE(out.find(listed), std::string::npos) << out;
  // Refused before anything was trained or replaced.
  EXPECT_FALSE(fs::exists(run / "teacher/gru4rec.pt"));
  EXPECT_EQ(read_file(run / "eval/results.json"), sasrec_results);

  for (const char* p : {"teacher_cache", "stage1", "stage2", "stage2_no_soft_prompt", "eval"}) fs::remove_all(run / p);
  ASSERT_EQ(quickstart(run, " teacher.model=gru4rec", &out), 0) << out;
  EXPECT_NE(out.find("teacher: gru4rec trained for"), std::string::npos) << out;
  const auto results = nlohmann::json::parse(read_file(run / "eval/results.json"));
  EXPECT_EQ(results["rows"].back()["model"], "GRU4Rec (teacher)");
  const auto manifest = nlohmann::json::parse(read_file(run / "teacher_cache/manifest.json"));
  EXPECT_EQ(manifest["model"], "gru4rec");
  EXPECT_EQ(manifest["checkpoint_sha256"], run::file_sha256(run / "teacher/gru4rec.pt"));
  EXPECT_NE(results["rows"].back().dump(), nlohmann::json::parse(sasrec_results)["rows"].back().dump());
}

TEST(ProvenanceCommands, AChangedStageKeyIsRefusedAndAValidationKeyReuses) {
  test::TempDir dir;
  const fs::path run = finished_quickstart(dir);
  std::string out;
  const std::string adapter = read_file(run / "stage2/adapter/adapter_model.safetensors");

  EXPECT_EQ(quickstart(run, " stage2.lora_r=4", &out), 1) << out;
  EXPECT_NE(out.find("stage2/adapter was made from other inputs"), std::string::npos) << out;
  EXPECT_NE(out.find("recipe key stage2.lora_r: made with 8, this run has 4"), std::string::npos) << out;
  EXPECT_EQ(read_file(run / "stage2/adapter/adapter_model.safetensors"), adapter);

  ASSERT_EQ(quickstart(run, " stage2.train.eval_every=1 stage2.train.log_every=1", &out), 0) << out;
  EXPECT_NE(out.find("stage 2: " + (run / "stage2/adapter").string() + " exists, skipping"), std::string::npos)
      << out;
  EXPECT_EQ(read_file(run / "stage2/adapter/adapter_model.safetensors"), adapter);
}

}  // namespace
}  // namespace delrec
