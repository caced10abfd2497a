// Every teacher: output shapes, causality (a later item never changes an earlier state), independence from the
// amount of left padding, and catalogue scores consistent with per-item scores.
#include "core/teacher/sequence_model.h"

#include <gtest/gtest.h>

#include "core/teacher/sasrec.h"
#include "core/util/error.h"

namespace delrec::teacher {
namespace {

constexpr int64_t kItems = 40;
constexpr int64_t kMaxLen = 12;

std::shared_ptr<SequenceModelImpl> build(const std::string& name) {
  torch::manual_seed(7);
  config::TeacherConfig config;
  config.model = name;
  config.max_len = kMaxLen;
  config.sasrec.hidden = 16;
  config.sasrec.heads = 2;
  config.gru4rec.hidden = 16;
  config.gru4rec.layers = 2;
  config.caser.hidden = 16;
  config.caser.window = 3;
  auto model = make_sequence_model(config, kItems);
  model->eval();
  return model;
}

// (3, 8) left-padded sequences of items 1..kItems.
torch::Tensor sample_sequences() {
  return torch::tensor({0, 0, 0, 4, 9, 2, 33, 7,    //
                        5, 6, 7, 8, 9, 10, 11, 12,  //
                        0, 0, 0, 0, 0, 0, 0, 40},
                       torch::kLong)
      .view({3, 8});
}

class SequenceModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SequenceModelTest, OutputShapes) {
  auto model = build(GetParam());
  auto states = model->forward(sample_sequences());
  ASSERT_EQ(states.sizes(), (std::vector<int64_t>{3, 8, 16}));
  EXPECT_TRUE(torch::isfinite(states).all().item<bool>());
  auto items = torch::randint(1, kItems + 1, {3, 8, 5}, torch::kLong);
  EXPECT_EQ(model->score(states, items).sizes(), (std::vector<int64_t>{3, 8, 5}));
  EXPECT_EQ(model->score_all(states).sizes(), (std::vector<int64_t>{3, 8, kItems + 1}));
}

TEST_P(SequenceModelTest, FutureItemsNeverChangeEarlierStates) {
  torch::NoGradGuard no_grad;
  auto model = build(GetParam());
  auto seqs = sample_sequences();
  auto changed = seqs.clone();
  changed.slice(1, 5).fill_(3);  // replace items at positions 5..7
  auto a = model->forward(seqs), b = model->forward(changed);
  EXPECT_TRUE(torch::allclose(a.slice(1, 0, 5), b.slice(1, 0, 5), 1e-5, 1e-6));
  EXPECT_FALSE(torch::allclose(a.slice(1, 5), b.slice(1, 5), 1e-5, 1e-6));  // the change is visible later on
}

TEST_P(SequenceModelTest, LeftPaddingDoesNotChangeStates) {
  torch::NoGradGuard no_grad;
  auto model = build(GetParam());
  auto seqs = sample_sequences();
  auto padded = torch::constant_pad_nd(seqs, {4, 0}, 0);  // (3, 12)
  auto a = model->forward(seqs), b = model->forward(padded).slice(1, 4);
  auto real = seqs.ne(0);
  EXPECT_TRUE(torch::allclose(a.index({real}), b.index({real}), 1e-5, 1e-5));
}

TEST_P(SequenceModelTest, CatalogueScoresMatchItemScores) {
  torch::NoGradGuard no_grad;
  auto model = build(GetParam());
  auto last = model->forward(sample_sequences()).select(1, -1);  // (3, D)
  auto items = torch::tensor({1, 17, 40, 2, 3, 4, 39, 38, 5}, torch::kLong).view({3, 3});
  auto all = model->score_all(last);
  EXPECT_TRUE(torch::allclose(model->score(last, items), all.gather(1, items), 1e-5, 1e-5));
}

INSTANTIATE_TEST_SUITE_P(Teachers, SequenceModelTest, ::testing::Values("sasrec", "gru4rec", "caser"));

TEST(SASRecTest, ItemEmbeddingIsTheOutputLayerAndPaddingRowIsZero) {
  SASRec model(SASRecOptions(kItems, kMaxLen).hidden(8));
  EXPECT_TRUE(model->output_items().is_same(model->item_emb->weight));
  EXPECT_EQ(model->item_emb->weight[0].abs().sum().item<float>(), 0.0f);
  EXPECT_EQ(model->pos_emb->weight.size(0), kMaxLen + 1);
}

TEST(SASRecTest, RejectsSequencesLongerThanMaxLen) {
  SASRec model(SASRecOptions(kItems, 4).hidden(8));
  EXPECT_THROW(model->forward(torch::ones({1, 5}, torch::kLong)), Error);
}

TEST(SequenceModelFactoryTest, RejectsHiddenNotDivisibleByHeads) {
  config::TeacherConfig config;
  config.sasrec.hidden = 10;
  config.sasrec.heads = 3;
  EXPECT_THROW(make_sequence_model(config, kItems), Error);
}

}  // namespace
}  // namespace delrec::teacher
