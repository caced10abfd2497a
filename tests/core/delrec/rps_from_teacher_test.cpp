// RPS learns the teacher, not the ground truth: a real Caser teacher whose output bias makes it rank one fixed item
// first for every history (an item nobody interacted with, so always a wrong answer) writes a real HDF5 cache; the
// RPS examples built from it answer that item every time and show the true item only where the teacher ranks it
// in its top k.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <map>

#include "core/delrec/examples.h"
#include "core/teacher/teacher_cache.h"
#include "tests/core/teacher/planted_dataset.h"
#include "tests/test_support.h"

namespace delrec::examples {
namespace {

TEST(RpsFromTeacher, ATeacherThatAlwaysRanksOneWrongItemFirstIsWhatRpsLearns) {
  data::Dataset dataset = test::planted_dataset(30, 80, 0.9, 8);
  const int64_t wrong = dataset.num_items() + 1;  // never interacted with: never the true next item
  dataset.item_keys.push_back("never");
  dataset.item_titles.push_back("Never Watched (1990)");

  torch::manual_seed(3);
  config::TeacherConfig config;
  config.model = "caser";
  config.max_len = 10;
  config.caser.hidden = 16;
  teacher::Teacher teacher(config, {dataset.name, dataset.fingerprint, dataset.num_items(), 1, 0});
  {
    torch::NoGradGuard no_grad;
    teacher.model().output_bias()[wrong].fill_(1e4);
  }
  teacher::CacheSpec spec;
  spec.top_k = 12;
  spec.candidate_seed = 9;
  spec.checkpoint_sha256 = "caser-with-one-favourite";
  test::TempDir dir;
  teacher::write_cache_shard(teacher, dataset, spec, 0, 1, dir.path());
  teacher::write_cache_manifest(teacher, dataset, spec, 1, dir.path());
  const teacher::TeacherCacheReader reader(dir.path(), dataset.fingerprint, dataset.num_items());
  const teacher::CacheBatch cache = reader.read(0, reader.num_examples());

  const int64_t top_k = 3;
  const auto rps = teacher_topk_examples(cache, dataset, top_k, 11);
  ASSERT_GT(rps.size(), 30u);
  auto topk = cache.topk_items.accessor<int64_t, 2>();
  std::map<std::pair<int64_t, int64_t>, int64_t> row_of;  // (user, position) -> cache row
  for (int64_t i = 0; i < cache.user.size(0); ++i)
    row_of[{cache.user[i].item<int64_t>(), cache.position[i].item<int64_t>()}] = i;
  int64_t true_item_shown = 0;
  for (const auto& e : rps) {
    EXPECT_EQ(e.candidates.at(e.label), wrong) << "user " << e.user << " position " << e.position;
    EXPECT_EQ(e.candidates.size(), 8u);
    const int64_t truth = dataset.sequences[e.user][e.position];
    const int64_t i = row_of.at({e.user, e.position});
    bool teacher_says_so = false;
    for (int64_t j = 0; j < top_k; ++j) teacher_says_so |= topk[i][j] == truth;
    const bool shown = std::count(e.candidates.begin(), e.candidates.end(), truth) > 0;
    EXPECT_EQ(shown, teacher_says_so) << "user " << e.user << " position " << e.position;
    true_item_shown += shown;
    // Every candidate is the teacher's top-k or an item the user never interacted with.
    for (int64_t item : e.candidates) {
      bool in_topk = false;
      for (int64_t j = 0; j < top_k; ++j) in_topk |= topk[i][j] == item;
      const auto& seq = dataset.sequences[e.user];
      EXPECT_TRUE(in_topk || std::find(seq.begin(), seq.end(), item) == seq.end()) << item;
    }
    // The distribution target puts the most mass on the answer.
    const auto best = std::max_element(e.teacher_scores.begin(), e.teacher_scores.end()) - e.teacher_scores.begin();
    EXPECT_EQ(best, e.label);
  }
  EXPECT_EQ(rps_agreement(rps, dataset), (std::pair<int64_t, int64_t>{static_cast<int64_t>(rps.size()), 0}));

  // The dataset-row construction shows the true item every time: there the teacher's best is some other row item.
  const auto rows = cached_examples(cache, dataset, Answer::kTeacherTop1, 11);
  for (const auto& e : rows) {
    const int64_t truth = dataset.sequences[e.user][e.position];
    EXPECT_EQ(std::count(e.candidates.begin(), e.candidates.end(), truth), 1);
  }
  std::cout << "true item shown in " << true_item_shown << " of " << rps.size() << " teacher_topk examples\n";
}

}  // namespace
}  // namespace delrec::examples
