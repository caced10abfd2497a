#include "core/data/prepare.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::data {
namespace {

config::DataConfig tiny_ml100k() {
  config::DataConfig c;
  c.dataset = "ml-100k";
  c.source = (test::test_data_dir() / "ml-100k-tiny").string();
  c.num_candidates = 3;  // each user saw 3 of the 5 items: the 2 others are the negatives
  return c;
}

TEST(Prepare, MovieLensTinyEndToEnd) {
  Dataset d = prepare(tiny_ml100k(), "recipe: text");
  EXPECT_EQ(d.name, "ml-100k-tiny");
  EXPECT_EQ(d.recipe_yaml, "recipe: text");
  ASSERT_EQ(d.num_users(), 3);
  ASSERT_EQ(d.num_items(), 5);
  EXPECT_EQ(d.user_keys, (std::vector<std::string>{"1", "2", "3"}));
  EXPECT_EQ(d.item_keys, (std::vector<std::string>{"", "1", "2", "3", "4", "5"}));
  EXPECT_EQ(d.item_titles[3], "Caf\xC3\xA9 Society (1995)");
  EXPECT_EQ(d.sequences[0], (std::vector<int64_t>{1, 3, 2}));  // ordered by time: 100, 150, 200
  EXPECT_EQ(d.timestamps[0], (std::vector<int64_t>{100, 150, 200}));
  EXPECT_EQ(d.sequences[1], (std::vector<int64_t>{2, 4, 5}));  // items 2 and 4 share time 100: file order
  // User 0 saw {1, 2, 3}: the test row is the target 2 followed by the unseen items 4 and 5 in sampled order.
  ASSERT_EQ(d.test_candidates[0].size(), 3u);
  EXPECT_EQ(d.test_candidates[0][0], 2);
  std::vector<int64_t> negatives(d.test_candidates[0].begin() + 1, d.test_candidates[0].end());
  std::sort(negatives.begin(), negatives.end());
  EXPECT_EQ(negatives, (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(d.valid_candidates[0][0], 3);
  EXPECT_EQ(d.fingerprint.size(), 64u);
}

TEST(Prepare, NumericKeysSortByValueBeforeOtherKeys) {
  RawData raw;
  for (const char* item : {"b", "10", "9", "a", "100"}) raw.add("u", item, 1, 0);
  config::DataConfig c;
  c.num_candidates = 1;
  Dataset d = build_dataset(raw, c, "t", "");
  EXPECT_EQ(d.item_keys, (std::vector<std::string>{"", "9", "10", "100", "a", "b"}));
  EXPECT_EQ(d.sequences[0], (std::vector<int64_t>{5, 2, 1, 4, 3}));
}

TEST(Prepare, FilteredInteractionsAreNeverNegatives) {
  // User u rated item "low" 1 star: min_rating drops it from u's sequence, but u has still seen it. Catalogue:
  // 0..5, low, a, b (low, a and b stay through user v), so u's only eligible negatives are a and b.
  RawData raw;
  for (int i = 0; i < 6; ++i) raw.add("u", std::to_string(i), 5, i);
  raw.add("u", "low", 1, 10);
  for (const char* item : {"low", "a", "b"}) raw.add("v", item, 5, 0);
  config::DataConfig c;
  c.min_rating = 4;
  c.num_candidates = 3;
  Dataset d = build_dataset(raw, c, "t", "");
  ASSERT_EQ(d.num_items(), 9);
  ASSERT_EQ(d.user_keys[0], "u");
  EXPECT_EQ(d.item_keys[7], "a");
  EXPECT_EQ(d.item_keys[8], "b");
  for (const auto* row : {&d.valid_candidates[0], &d.test_candidates[0]}) {
    std::vector<int64_t> negatives(row->begin() + 1, row->end());
    std::sort(negatives.begin(), negatives.end());
    EXPECT_EQ(negatives, (std::vector<int64_t>{7, 8}));
  }
}

TEST(Prepare, MaxAndMinHistory) {
  RawData raw;
  for (int i = 0; i < 10; ++i) raw.add("long", std::to_string(i), 1, i);
  for (int i = 0; i < 2; ++i) raw.add("short", std::to_string(i), 1, i);
  for (const char* item : {"x", "y", "z"}) raw.add("other", item, 1, 0);
  config::DataConfig c;
  c.max_history = 4;
  c.num_candidates = 2;
  Dataset d = build_dataset(raw, c, "t", "");
  // "short" has 2 < min_history 3 interactions; "long" keeps its 4 most recent.
  EXPECT_EQ(d.user_keys, (std::vector<std::string>{"long", "other"}));
  EXPECT_EQ(d.timestamps[0], (std::vector<int64_t>{6, 7, 8, 9}));
  // Only items still in some sequence form the catalogue: 6..9 and x, y, z.
  EXPECT_EQ(d.item_keys, (std::vector<std::string>{"", "6", "7", "8", "9", "x", "y", "z"}));
}

TEST(Prepare, TitlesAreCleanedUnlessTurnedOff) {
  RawData raw;
  for (const char* item : {"1", "2", "3", "4"}) raw.add("u", item, 1, 0);
  raw.titles = {{"1", "Matrix, The (1999)"}, {"2", "Crabtree &amp;  Evelyn "}, {"3", " \t "}};
  config::DataConfig c;
  c.num_candidates = 1;
  Dataset d = build_dataset(raw, c, "t", "");
  // Item 3's title is empty once tidied and item 4 has none: both are named by their keys.
  EXPECT_EQ(d.item_titles, (std::vector<std::string>{"", "The Matrix (1999)", "Crabtree & Evelyn", "3", "4"}));
  c.title_cleanup = false;
  Dataset raw_titles = build_dataset(raw, c, "t", "");
  EXPECT_EQ(raw_titles.item_titles,
            (std::vector<std::string>{"", "Matrix, The (1999)", "Crabtree &amp;  Evelyn ", " \t ", "4"}));
  EXPECT_NE(raw_titles.fingerprint, d.fingerprint);
}

// The small files in the formats of the DELRec paper's datasets hold enough users and items for 20 candidates
// (19 negatives the user never saw), also as 5-cores.
TEST(Prepare, PaperDatasetsFromTheirSmallFiles) {
  struct Case {
    const char* dataset;
    const char* folder;
    int64_t users, items;
  };
  for (const Case& k : {Case{"steam", "steam-sasrec", 32, 40}, Case{"steam", "steam-reviews", 30, 40},
                        Case{"amazon", "amazon-2014-beauty", 36, 40}, Case{"amazon", "amazon-2014-home", 36, 42}}) {
    for (int64_t kcore : {0, 5}) {
      SCOPED_TRACE(std::string(k.folder) + " kcore " + std::to_string(kcore));
      config::DataConfig c;
      c.dataset = k.dataset;
      c.source = (test::test_data_dir() / k.folder).string();
      c.kcore = kcore;
      Dataset d = prepare(c);
      EXPECT_EQ(d.name, k.folder);
      EXPECT_EQ(d.num_users(), k.users);
      EXPECT_EQ(d.num_items(), k.items);
      for (int64_t u = 0; u < d.num_users(); ++u) {
        EXPECT_GE(d.sequences[u].size(), 5u);
        ASSERT_EQ(d.test_candidates[u].size(), 20u);
        ASSERT_EQ(d.valid_candidates[u].size(), 20u);
      }
    }
  }
  config::DataConfig c;
  c.dataset = "amazon";
  c.source = (test::test_data_dir() / "amazon-2014-beauty").string();
  Dataset beauty = prepare(c);
  auto title_of = [&](const std::string& key) {
    auto it = std::find(beauty.item_keys.begin(), beauty.item_keys.end(), key);
    return beauty.item_titles.at(it - beauty.item_keys.begin());
  };
  EXPECT_EQ(title_of("B000QV4RBE"), "Rosewood & Sage Hand Cream, 2.5 oz");
  EXPECT_EQ(title_of("B004ZEL7BA"), "Oat Milk Body Wash");
  EXPECT_EQ(title_of("B00ASSJWDW"), "B00ASSJWDW");  // no title in the metadata
}

TEST(Prepare, SyntheticIsDeterministicAndSeeded) {
  config::DataConfig c;
  c.synthetic.users = 60;
  c.synthetic.items = 50;
  Dataset a = prepare(c), b = prepare(c);
  EXPECT_EQ(a.fingerprint, b.fingerprint);
  EXPECT_EQ(a.test_candidates, b.test_candidates);
  c.seed = 43;
  Dataset other = prepare(c);
  EXPECT_NE(other.fingerprint, a.fingerprint);
  EXPECT_NE(other.test_candidates, a.test_candidates);
  for (int64_t u = 0; u < a.num_users(); ++u) {
    const auto& seq = a.sequences[u];
    for (size_t j = 1; j < a.test_candidates[u].size(); ++j) {
      EXPECT_EQ(std::count(seq.begin(), seq.end(), a.test_candidates[u][j]), 0);
      EXPECT_EQ(std::count(seq.begin(), seq.end(), a.valid_candidates[u][j]), 0);
    }
  }
}

TEST(Prepare, UnknownDatasetListsSupportedOnes) {
  config::DataConfig c;
  c.dataset = "netflix";
  std::string msg = test::error_message([&] { read_raw(c); });
  EXPECT_EQ(msg, "unknown dataset 'netflix'; supported: synthetic, ml-100k, ml-1m, ml-csv, amazon, csv, steam");
}

TEST(Prepare, RecipeChoicesMatchTheReaders) {
  config::DataConfig c;
  config::Schema schema;
  c.describe(schema);
  EXPECT_EQ(schema.find("dataset")->choices, supported_datasets());
}

TEST(Prepare, MissingSourceIsNamed) {
  config::DataConfig c;
  c.dataset = "ml-1m";
  c.source = "/nonexistent/ml-1m";
  std::string msg = test::error_message([&] { prepare(c); });
  EXPECT_NE(msg.find("/nonexistent/ml-1m does not exist"), std::string::npos) << msg;
}

TEST(Prepare, MovieLens100kFromShared) {
  DELREC_REQUIRE_SHARED("data/ml-100k");
  config::DataConfig c;
  c.dataset = "ml-100k";
  c.source = (test::shared_dir() / "data" / "ml-100k").string();
  Dataset d = prepare(c);
  EXPECT_EQ(d.num_users(), 943);
  EXPECT_EQ(d.num_items(), 1682);
  EXPECT_EQ(d.num_interactions(), 100000);
  EXPECT_EQ(d.item_titles[1], "Toy Story (1995)");
  EXPECT_EQ(d.test_candidates[0].size(), 20u);
}

}  // namespace
}  // namespace delrec::data
