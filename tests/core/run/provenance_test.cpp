// Provenance records: which recipe keys and inputs an output was made from, and the refusal when they differ.
#include "core/run/provenance.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/run/output_provenance.h"
#include "core/util/atomic_file.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace delrec::run {
namespace {

TEST(Provenance, RecipeKeysArePickedByPrefixWithExceptions) {
  config::Recipe recipe;
  recipe.stage2.lora_r = 12;
  recipe.stage2.lora_targets = {"q_proj", "v_proj"};
  const auto keys = recipe_keys(recipe, {"stage2", "run.seed"}, {"stage2.train.log_every", "stage2.lora_dropout"});
  EXPECT_EQ(keys.at("stage2.lora_r"), "12");
  EXPECT_EQ(keys.at("stage2.lora_targets"), "[q_proj, v_proj]");
  EXPECT_EQ(keys.at("run.seed"), "1234");
  EXPECT_TRUE(keys.count("stage2.train.lr"));
  EXPECT_FALSE(keys.count("stage2.train.log_every"));
  EXPECT_FALSE(keys.count("stage2.lora_dropout"));
  EXPECT_FALSE(keys.count("run.name"));
  EXPECT_FALSE(keys.count("stage1.soft_tokens"));
  // "stage2" is a whole key component: "stage2x" would not match, and "run.seed" does not take "run.seeds".
  for (const auto& [k, v] : keys) EXPECT_TRUE(k.rfind("stage2.", 0) == 0 || k == "run.seed") << k;
}

TEST(Provenance, AnOutputWithTheSameRecordIsReusedAndADifferentOneRefusedWithEachDifference) {
  test::TempDir dir;
  const fs::path out = dir / "adapter";
  fs::create_directories(out);
  const Provenance made{{{"stage2.lora_r", "8"}, {"run.seed", "1"}}, {{"soft prompt", "abc"}}};
  write_provenance(out, made);
  EXPECT_TRUE(fs::exists(dir / "adapter.provenance.json"));
  EXPECT_EQ(read_provenance(out).value(), made);
  check_provenance(out, made, {});  // same record: reused

  Provenance now = made;
  now.recipe["stage2.lora_r"] = "16";
  now.recipe["stage2.lora_alpha"] = "32";
  now.inputs["soft prompt"] = "def";
  fs::create_directories(dir / "eval");
  const std::string msg = test::error_message([&] { check_provenance(out, now, {dir / "eval", dir / "absent"}); });
  EXPECT_NE(msg.find("recipe key stage2.lora_r: made with 8, this run has 16"), std::string::npos) << msg;
  EXPECT_NE(msg.find("recipe key stage2.lora_alpha: made with (absent), this run has 32"), std::string::npos) << msg;
  EXPECT_NE(msg.find("input soft prompt: made with abc, this run has def"), std::string::npos) << msg;
  EXPECT_NE(msg.find("(rm -r " + out.string() + " " + (dir / "eval").string() + ")"), std::string::npos) << msg;
  EXPECT_EQ(msg.find((dir / "absent").string()), std::string::npos) << msg;  // only outputs that exist are listed
  EXPECT_EQ(msg.find("run.seed"), std::string::npos) << msg;  // equal keys are not listed

  // Before the inputs exist, only the recipe keys are compared.
  Provenance inputs_differ = made;
  inputs_differ.inputs = {};
  check_provenance(out, inputs_differ, {}, /*recipe_only=*/true);
  EXPECT_NE(test::error_message([&] { check_provenance(out, now, {}, true); }).find("stage2.lora_r"),
            std::string::npos);
}

TEST(Provenance, AMissingOutputIsNotCheckedAndAnOutputWithoutRecordIsRefused) {
  test::TempDir dir;
  check_provenance(dir / "missing.pt", Provenance{}, {});
  write_file_atomically(dir / "teacher.pt", "weights");
  const std::string msg = test::error_message([&] { check_provenance(dir / "teacher.pt", Provenance{}, {}); });
  EXPECT_NE(msg.find("has no provenance record"), std::string::npos) << msg;
  EXPECT_NE(msg.find("rm -r " + (dir / "teacher.pt").string()), std::string::npos) << msg;

  write_file_atomically(dir / "teacher.pt.provenance.json", "{\"recipe\": {\"a\": 1}, \"inputs\": {}}");
  EXPECT_NE(test::error_message([&] { read_provenance(dir / "teacher.pt"); }).find("recipe.a must be a string"),
            std::string::npos);
  write_file_atomically(dir / "teacher.pt.provenance.json", "{\"recipe\": ");
  EXPECT_NE(test::error_message([&] { read_provenance(dir / "teacher.pt"); }).find("not a provenance record"),
            std::string::npos);
}

TEST(Provenance, DigestsFollowTheRecordAndTheFileBytes) {
  const Provenance a{{{"k", "1"}}, {}}, b{{{"k", "2"}}, {}};
  EXPECT_EQ(provenance_digest(a), provenance_digest(a));
  EXPECT_NE(provenance_digest(a), provenance_digest(b));
  test::TempDir dir;
  write_file_atomically(dir / "f", "abc");
  // FIPS 180-4 test vector for "abc".
  EXPECT_EQ(file_sha256(dir / "f"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// A safetensors file of one float32 tensor of `n` elements (header, then zero bytes).
void write_safetensors(const fs::path& path, int n) {
  const std::string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[" + std::to_string(n) +
                             "],\"data_offsets\":[0," + std::to_string(4 * n) + "]}}";
  std::ofstream out(path, std::ios::binary);
  const uint64_t len = header.size();
  for (int i = 0; i < 8; ++i) out.put(char((len >> (8 * i)) & 0xff));
  out << header << std::string(size_t(4 * n), '\0');
}

TEST(Provenance, BackboneDigestSeesConfigTokenizerAndTensorLayoutChanges) {
  test::TempDir dir;
  write_file_atomically(dir / "config.json", "{\"hidden_size\": 8}");
  write_file_atomically(dir / "tokenizer.json", "{}");
  write_safetensors(dir / "model.safetensors", 4);
  const std::string d0 = backbone_digest(dir.path());
  EXPECT_EQ(backbone_digest(dir.path()), d0);
  write_safetensors(dir / "model.safetensors", 5);
  const std::string d1 = backbone_digest(dir.path());
  EXPECT_NE(d1, d0);
  write_file_atomically(dir / "tokenizer.json", "{\"x\": 1}");
  EXPECT_NE(backbone_digest(dir.path()), d1);
  write_file_atomically(dir / "model.safetensors", "short");
  EXPECT_NE(test::error_message([&] { backbone_digest(dir.path()); }).find("not a safetensors file"),
            std::string::npos);
}

}  // namespace
}  // namespace delrec::run
