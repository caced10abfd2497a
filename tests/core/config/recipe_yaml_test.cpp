#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "core/config/recipe.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::config {
namespace {

// Returns the UsageError message of parsing `yaml` (fails the test when parsing succeeds).
std::string error_of(const std::string& yaml, const std::vector<std::string>& overrides = {}) {
  try {
    parse_recipe(yaml, "r.yaml", overrides);
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no error for:\n" << yaml;
  return "";
}

TEST(Recipe, DefaultsAndValues) {
  Recipe r = parse_recipe("run:\n  name: t\n  seed: 7\ndata:\n  num_candidates: 50\n  min_rating: 3.5\n", "r.yaml");
  EXPECT_EQ(r.run.name, "t");
  EXPECT_EQ(r.run.seed, 7);
  EXPECT_EQ(r.data.num_candidates, 50);
  EXPECT_DOUBLE_EQ(r.data.min_rating, 3.5);
  EXPECT_EQ(r.data.dataset, "synthetic");  // default kept
  EXPECT_EQ(r.data.synthetic.users, SyntheticConfig{}.users);
}

TEST(Recipe, EveryCommittedRecipeLoads) {
  int loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(DELREC_SOURCE_DIR) / "recipes")) {
    if (entry.path().extension() != ".yaml") continue;
    EXPECT_NO_THROW(load_recipe(entry.path())) << entry.path();
    ++loaded;
  }
  EXPECT_GE(loaded, 4);
  EXPECT_TRUE(load_recipe(std::filesystem::path(DELREC_SOURCE_DIR) / "recipes/ml100k-delrec-llama.yaml")
                  .checkpoint.async_save);
}

TEST(Recipe, ListOfChoicesNamesTheBadElement) {
  std::string msg = error_of("checkpoint:\n  requeue_signals: [SIGTERM, SIGKILL]\n");
  EXPECT_NE(msg.find("r.yaml:2:20: checkpoint.requeue_signals: 'SIGKILL' is not one of: SIGTERM, SIGUSR1, SIGUSR2, "
                     "SIGHUP"),
            std::string::npos)
      << msg;
}

TEST(Recipe, UnknownKeyHasLocationAndSuggestion) {
  std::string msg = error_of("data:\n  num_candidate: 20\n");
  EXPECT_NE(msg.find("r.yaml:2:3: data.num_candidate: unknown key 'num_candidate'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'num_candidates'?"), std::string::npos) << msg;
}

TEST(Recipe, UnknownSectionListsValidKeys) {
  std::string msg = error_of("dataa:\n  x: 1\n");
  EXPECT_NE(msg.find("r.yaml:1:1: dataa: unknown key 'dataa'; did you mean 'data'?"), std::string::npos) << msg;
  EXPECT_NE(msg.find("valid keys here: run, data"), std::string::npos) << msg;
}

TEST(Recipe, WrongTypeNamesKeyAndValue) {
  std::string msg = error_of("run:\n  seed: many\n");
  EXPECT_NE(msg.find("r.yaml:2:9: run.seed: expected an integer, got 'many'"), std::string::npos) << msg;
  msg = error_of("data:\n  min_rating: [1, 2]\n");
  EXPECT_NE(msg.find("data.min_rating: expected a number, got a list"), std::string::npos) << msg;
  msg = error_of("data:\n  min_rating: .nan\n");
  EXPECT_NE(msg.find("expected a number"), std::string::npos) << msg;
}

TEST(Recipe, OutOfRangeAndChoices) {
  std::string msg = error_of("data:\n  num_candidates: 1\n");
  EXPECT_NE(msg.find("r.yaml:2:19: data.num_candidates: value 1 is out of range [2, 100000]"), std::string::npos)
      << msg;
  msg = error_of("data:\n  dataset: ml-10k\n  source: x\n");
  EXPECT_NE(msg.find("data.dataset: 'ml-10k' is not one of: synthetic, ml-100k"), std::string::npos) << msg;
}

TEST(Recipe, CrossFieldValidation) {
  std::string msg = error_of("data:\n  synthetic:\n    min_length: 40\n    max_length: 30\n");
  EXPECT_NE(msg.find("min_length (40) must be <= data.synthetic.max_length (30)"), std::string::npos) << msg;
  msg = error_of("data:\n  dataset: ml-100k\n");
  EXPECT_NE(msg.find("data.source"), std::string::npos) << msg;
}

TEST(Recipe, SyntaxErrorAndDuplicates) {
  std::string msg = error_of("data:\n  seed: [1,\n");
  EXPECT_NE(msg.find("r.yaml:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("YAML syntax error"), std::string::npos) << msg;
  msg = error_of("run:\n  seed: 1\n  seed: 2\n");
  EXPECT_NE(msg.find("run.seed: duplicate key"), std::string::npos) << msg;
  msg = error_of("- a\n- b\n");
  EXPECT_NE(msg.find("a recipe is a map of sections"), std::string::npos) << msg;
}

// yaml-cpp shares an anchored node between its aliases; binding copies it once per alias. 400 aliases of a 64 KiB
// anchor (a 90 KB file) would bind 25 MiB: refused with the key where the limit was crossed.
TEST(Recipe, AliasesRepeatingALargeAnchorAreRefused) {
  std::string yaml = "run:\n  name: &big \"" + std::string(64 << 10, 'x') + "\"\nslurm:\n  env: [";
  for (int i = 0; i < 400; ++i) yaml += i ? ", *big" : "*big";
  yaml += "]\n";
  ASSERT_LT(yaml.size(), 100000u);
  std::string msg = error_of(yaml);
  EXPECT_NE(msg.find("r.yaml:"), std::string::npos) << msg;
  EXPECT_NE(msg.find("slurm.env["), std::string::npos) << msg;
  EXPECT_NE(msg.find("the recipe's values add up to more than 4 MiB (YAML aliases repeating a large anchor?)"),
            std::string::npos) << msg;
  // A few aliases of a short anchor are fine.
  Recipe r = parse_recipe("run:\n  name: &n abc\nslurm:\n  env: [*n, *n]\n", "r.yaml", {});
  EXPECT_EQ(r.slurm.env, (std::vector<std::string>{"abc", "abc"}));
}

TEST(Recipe, OversizedOrNonRegularRecipeFilesAreRefused) {
  std::string msg = error_of("# " + std::string(2 << 20, 'x') + "\n");
  EXPECT_NE(msg.find("r.yaml: 2097155 bytes; a recipe is at most 1024 KiB of settings"), std::string::npos) << msg;
  test::TempDir dir;
  ASSERT_EQ(::mkfifo((dir / "fifo.yaml").c_str(), 0600), 0);
  msg = test::error_message([&] { load_recipe(dir / "fifo.yaml", {}); });
  EXPECT_NE(msg.find("fifo.yaml is not a regular file"), std::string::npos) << msg;
}

TEST(Recipe, OverridesApplyAndReportTheirText) {
  Recipe r = parse_recipe("data:\n  seed: 1\n", "r.yaml", {"data.seed=9", "run.name=x y", "data.synthetic.users=77"});
  EXPECT_EQ(r.data.seed, 9);
  EXPECT_EQ(r.run.name, "x y");
  EXPECT_EQ(r.data.synthetic.users, 77);

  std::string msg = error_of("", {"data.sed=3"});
  EXPECT_NE(msg.find("override 'data.sed=3': unknown key 'sed'; did you mean 'seed'?"), std::string::npos) << msg;
  msg = error_of("", {"data.seed=abc"});
  EXPECT_NE(msg.find("override 'data.seed=abc': data.seed: expected an integer, got 'abc'"), std::string::npos) << msg;
  msg = error_of("", {"data.seed"});
  EXPECT_NE(msg.find("expected key.path=value"), std::string::npos) << msg;
  msg = error_of("", {"data=3"});
  EXPECT_NE(msg.find("'data' is a section"), std::string::npos) << msg;
  msg = error_of("", {"data.seed.x=3"});
  EXPECT_NE(msg.find("'seed' is a value, not a section"), std::string::npos) << msg;
}

TEST(Recipe, DumpReloadsToTheSameRecipe) {
  Recipe r = parse_recipe("run:\n  name: \"quote\\\" and \\\\ slash\"\ndata:\n  min_rating: 0.25\n", "r.yaml",
                          {"data.synthetic.pattern_strength=0.5"});
  std::string dumped = dump_recipe(r);
  EXPECT_NE(dumped.find("# number of users"), std::string::npos);  // doc comments are written
  Recipe again = parse_recipe(dumped, "dumped.yaml");
  EXPECT_EQ(dump_recipe(again), dumped);
  EXPECT_EQ(again.run.name, "quote\" and \\ slash");
  EXPECT_DOUBLE_EQ(again.data.synthetic.pattern_strength, 0.5);
}

TEST(Recipe, MissingFileNamesItAndResolvedRecipeIsWritten) {
  try {
    load_recipe("/no/such/recipe.yaml");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("/no/such/recipe.yaml does not exist"), std::string::npos);
  }
  test::TempDir dir;
  auto path = write_resolved_recipe(parse_recipe("", "r.yaml"), dir.path());
  EXPECT_EQ(load_recipe(path).data.num_candidates, 20);
}

// Found by tests/fuzz/recipe_yaml_fuzz.cpp: an override below a key the recipe sets to a value or a list escaped as
// yaml-cpp's BadSubscript, not a UsageError naming the override.
TEST(Recipe, OverrideBelowAValueOrAListIsAUsageError) {
  std::string msg = test::error_message<UsageError>([] { parse_recipe("run: 'a b'\n", "r.yaml", {"run.name=b"}); });
  EXPECT_EQ(msg, "override 'run.name=b': the recipe sets 'run' to a single value, not a section of keys");
  msg = test::error_message<UsageError>(
      [] { parse_recipe("data: [1, 2]\n", "r.yaml", {"data.synthetic.users=10"}); });
  EXPECT_EQ(msg, "override 'data.synthetic.users=10': the recipe sets 'data' to a list, not a section of keys");
}

}  // namespace
}  // namespace delrec::config
