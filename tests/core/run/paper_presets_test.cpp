// The four `paper` presets (recipes/paper-*.yaml) prepare their datasets from the small files committed in each real
// format (made-up users, items and titles: tests/data/ml-100k-paper, steam-sasrec, amazon-2014-*), with the
// authors' settings in place and the title clean-up applied.
#include <gtest/gtest.h>

#include <algorithm>

#include "core/config/recipe.h"
#include "core/run/pipeline.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace delrec::run {
namespace {

struct Preset {
  std::string recipe, source, domain;
};

class PaperPresets : public ::testing::TestWithParam<Preset> {};

TEST_P(PaperPresets, PrepareTheirDatasetFromTheCommittedSmallFiles) {
  const Preset& p = GetParam();
  test::TempDir dir;
  const config::Recipe recipe =
      config::load_recipe(fs::path(DELREC_SOURCE_DIR) / "recipes" / p.recipe,
                          {"data.source=" + (fs::path(DELREC_TEST_DATA_DIR) / p.source).string(),
                           "run.out_dir=" + dir.path().string()});
  // The authors' settings the presets exist for.
  EXPECT_EQ(recipe.prompt.domain, p.domain);
  EXPECT_EQ(recipe.stage1.soft_tokens, 100);
  EXPECT_EQ(recipe.data.num_candidates, 20);
  for (const auto* train : {&recipe.stage1.train, &recipe.stage2.train}) {
    EXPECT_EQ(train->optimizer, "lion");
    EXPECT_EQ(train->beta2, 0.99);
    EXPECT_EQ(train->keep, "best_valid");
  }
  EXPECT_EQ(recipe.stage1.rps.candidates, "teacher_topk");
  EXPECT_EQ(recipe.stage1.rps.target, "top1");
  EXPECT_EQ(recipe.stage1.ta.demonstration_items, 4);
  EXPECT_TRUE(recipe.eval.runs("no_ta") && recipe.eval.runs("no_stage2"));

  const data::Dataset d = prepared_dataset(recipe);
  EXPECT_TRUE(fs::exists(dir / "data.h5"));
  EXPECT_GE(d.num_users(), 5);
  EXPECT_GE(d.num_items(), 21);
  for (int64_t u = 0; u < d.num_users(); ++u) {
    EXPECT_GE(d.sequences[u].size(), 3u);
    EXPECT_EQ(d.test_candidates[u].size(), 20u);
  }
  for (size_t i = 1; i < d.item_titles.size(); ++i) {
    const std::string& t = d.item_titles[i];
    EXPECT_FALSE(t.empty()) << "item " << i;
    EXPECT_EQ(t.find("&amp;"), std::string::npos) << t;
    EXPECT_EQ(t.find("  "), std::string::npos) << t;
    EXPECT_EQ(t.find(", The ("), std::string::npos) << t;
  }
  if (p.source == "ml-100k-paper") {  // titles filed the MovieLens way read naturally in prompts
    EXPECT_NE(std::find(d.item_titles.begin(), d.item_titles.end(), "The Harbor (1960)"), d.item_titles.end());
    EXPECT_NE(std::find(d.item_titles.begin(), d.item_titles.end(), "Les Mis\u00e9rables (1971)"), d.item_titles.end());
  }
}

INSTANTIATE_TEST_SUITE_P(, PaperPresets,
                         ::testing::Values(Preset{"paper-ml100k.yaml", "ml-100k-paper", "movies"},
                                           Preset{"paper-steam.yaml", "steam-sasrec", "games"},
                                           Preset{"paper-beauty.yaml", "amazon-2014-beauty", "products"},
                                           Preset{"paper-home.yaml", "amazon-2014-home", "products"}),
                         [](const auto& info) {
                           std::string name = info.param.source;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

}  // namespace
}  // namespace delrec::run
