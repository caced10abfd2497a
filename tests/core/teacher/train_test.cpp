// Teacher training on a dataset with a planted successor pattern: the loss falls, the model beats popularity,
// runs are deterministic, and the best checkpoint reloads to the same scores.
#include "core/teacher/train.h"

#include <gtest/gtest.h>

#include "core/eval/metrics.h"
#include "core/teacher/evaluate.h"
#include "tests/core/teacher/planted_dataset.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::teacher {
namespace {

config::TeacherConfig small_config(const std::string& model, const std::string& loss = "bce") {
  config::TeacherConfig c;
  c.model = model;
  c.loss = loss;
  c.max_len = 20;
  c.batch_size = 32;
  c.lr = 5e-3;
  c.sasrec.hidden = 32;
  c.sasrec.dropout = 0.1;
  c.gru4rec.hidden = 32;
  c.caser.hidden = 32;
  c.caser.window = 3;
  c.caser.dropout = 0.2;
  return c;
}

// NDCG@10 on the test candidates when every candidate is scored by its count in the training sequences.
double popularity_test_ndcg10(const data::Dataset& d) {
  std::vector<float> counts(d.num_items() + 1, 0);
  for (int64_t u = 0; u < d.num_users(); ++u)
    for (int64_t item : d.train_sequence(u)) counts[item] += 1;
  auto scores = torch::empty({d.num_users(), int64_t(d.test_candidates[0].size())});
  for (int64_t u = 0; u < d.num_users(); ++u)
    for (size_t c = 0; c < d.test_candidates[u].size(); ++c) scores[u][c] = counts[d.test_candidates[u][c]];
  return eval::ranking_metrics(eval::candidate_ranks(scores), {10}).ndcg.at(10);
}

class TrainTest : public ::testing::TestWithParam<std::pair<std::string, std::string>> {};

TEST_P(TrainTest, LossFallsAndModelBeatsPopularity) {
  const auto [model, loss] = GetParam();
  const auto dataset = test::planted_dataset();
  torch::manual_seed(3);
  Teacher teacher(small_config(model, loss), {dataset.name, dataset.fingerprint, dataset.num_items(), 0, 0});
  TeacherTrainer trainer(teacher, dataset, 3);
  const double first = trainer.train_epoch();
  double last = first;
  for (int epoch = 0; epoch < 24; ++epoch) last = trainer.train_epoch();
  EXPECT_LT(last, 0.8 * first) << model << " " << loss;
  const double ndcg = evaluate_teacher(teacher, dataset, Split::kTest).candidates.ndcg.at(10);
  const double popularity = popularity_test_ndcg10(dataset);
  EXPECT_GT(ndcg, popularity + 0.1) << model << " " << loss;
}

INSTANTIATE_TEST_SUITE_P(Teachers, TrainTest,
                         ::testing::Values(std::make_pair("sasrec", "bce"), std::make_pair("sasrec", "softmax"),
                                           std::make_pair("gru4rec", "bce"), std::make_pair("caser", "softmax")));

TEST(TrainTeacherTest, DeterministicGivenSeedAndCheckpointReloads) {
  const auto dataset = test::planted_dataset();
  auto config = small_config("sasrec");
  config.epochs = 4;
  config.eval_every = 2;
  test::TempDir dir;
  const auto a = train_teacher(dataset, config, 11, dir / "a.pt", dir / "a.jsonl");
  const auto b = train_teacher(dataset, config, 11, dir / "b.pt", dir / "b.jsonl");
  EXPECT_EQ(a.best_valid_ndcg10, b.best_valid_ndcg10);
  EXPECT_EQ(read_file(dir / "a.jsonl").substr(0, 40), read_file(dir / "b.jsonl").substr(0, 40));

  const auto teacher = Teacher::load(dir / "a.pt");
  EXPECT_EQ(teacher.info().epoch, a.best_epoch);
  EXPECT_EQ(teacher.info().dataset_fingerprint, dataset.fingerprint);
  const auto again = Teacher::load(dir / "b.pt");
  const std::vector<std::vector<int64_t>> histories{{1, 2, 3}, {7}, {}};
  EXPECT_TRUE(torch::equal(teacher.encode(histories), again.encode(histories)));
  const auto valid = evaluate_teacher(teacher, dataset, Split::kValid, false);
  EXPECT_DOUBLE_EQ(valid.candidates.ndcg.at(10), a.best_valid_ndcg10);
}

TEST(TrainTeacherTest, MetricsFileHasOneLinePerEpoch) {
  const auto dataset = test::planted_dataset(40);
  auto config = small_config("gru4rec");
  config.epochs = 3;
  config.eval_every = 2;
  test::TempDir dir;
  train_teacher(dataset, config, 1, dir / "t.pt", dir / "m.jsonl");
  std::istringstream lines(read_file(dir / "m.jsonl"));
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j.at("epoch").get<int>(), ++n);
    EXPECT_EQ(j.contains("valid"), n == 2 || n == 3);
  }
  EXPECT_EQ(n, 3);
}

TEST(TeacherCheckpointTest, CorruptCheckpointNamesTheFile) {
  test::TempDir dir;
  write_file_atomically(dir / "bad.pt", "not a checkpoint");
  try {
    Teacher::load(dir / "bad.pt");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.pt"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace delrec::teacher
