// Data and tensor parallelism do not change training: with the global batch split over 2 or 4 data-parallel
// ranks, or the backbone split over 2 or 4 tensor-parallel ranks, both stages give the per-step losses of a single
// rank (within 1e-5) for 5 steps, and the same gradient norms; a checkpoint resumed on another layout continues
// with the same samples and losses.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/delrec/backbone.h"
#include "core/delrec/stages.h"
#include "core/run/pipeline.h"
#include "core/util/atomic_file.h"
#include "tests/core/delrec/stage_test_support.h"
#include "tests/parallel/parallel_test_support.h"

namespace fs = std::filesystem;

namespace delrec::stages {
namespace {

void expect_same_losses(const std::vector<train::StepRecord>& got, const std::vector<train::StepRecord>& expected,
                        const std::string& what) {
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (size_t s = 0; s < got.size(); ++s) {
    for (const auto& [task, loss] : expected[s].losses)
      EXPECT_NEAR(got[s].losses.at(task), loss, 1e-5 * std::max(1.0, std::abs(loss)))
          << what << ": step " << s + 1 << " task " << task;
    // The gradient's scale too (Lion and Adam updates hide it): a DP average over the wrong count shows here.
    EXPECT_NEAR(got[s].grad_norm, expected[s].grad_norm, 1e-4 * expected[s].grad_norm) << what << ": step " << s + 1;
  }
}

// An empty directory every rank can name: ranks of one mpirun share their parent process.
fs::path fresh_shared_dir(const parallel::World& world, const std::string& name) {
  const fs::path root = fs::temp_directory_path() / (name + "-" + std::to_string(::getppid()));
  if (world.rank() == 0) fs::remove_all(root);
  world.group()->barrier();
  return root;
}

// This rank alone: a world, TP and DP group of one (the single-rank reference runs).
parallel::ParallelGroups alone(const parallel::World& world) {
  auto self = world.group()->split(world.rank(), 0);
  return {parallel::Layout::from_tp(1, 0, 1), self, self, self};
}

TEST(StagesMpi, DataAndTensorParallelRunsReproduceTheSingleRankLosses) {
  const auto& world = test::test_world();
  const int rank = world.rank();
  const fs::path root = fresh_shared_dir(world, "delrec-stages-mpi");
  const config::Recipe recipe = test::tiny_delrec_recipe(root / "run", /*batch_size=*/4);
  const data::Dataset dataset = run::run_pipeline(recipe, world, run::Until::kTeacher).dataset;
  const teacher::TeacherCacheReader cache = run::open_cache(recipe, dataset);

  // The reference: every rank alone, in its own directory.
  const parallel::ParallelGroups single = alone(world);
  const fs::path mine = root / ("single-rank-" + std::to_string(rank));
  Backbone b1 = load_backbone(recipe, single);
  const StageOutcome ref1 = run_stage1({recipe, dataset, cache, single, "test"}, b1, mine / "stage1");
  Backbone b2 = load_backbone(recipe, single);
  const StageOutcome ref2 = run_stage2({recipe, dataset, cache, single, "test"}, b2, ref1.soft_prompt, mine / "stage2");

  std::vector<int> tps = {1};  // TP 1 = DP over every rank
  for (int tp : test::tp_sizes()) tps.push_back(tp);
  for (int tp : tps) {
    const auto groups = parallel::make_parallel_groups(world, tp);
    const std::string what = fmt::format("TP {} x DP {}", tp, groups.dp->size());
    const fs::path dir = root / fmt::format("tp{}", tp);
    Backbone s1 = load_backbone(recipe, groups);
    const StageOutcome got1 = run_stage1({recipe, dataset, cache, groups, "test"}, s1, dir / "stage1");
    expect_same_losses(got1.history, ref1.history, what + " stage 1");
    EXPECT_LT((got1.soft_prompt - ref1.soft_prompt).abs().max().item<double>(), 1e-5) << what;
    Backbone s2 = load_backbone(recipe, groups);
    const StageOutcome got2 = run_stage2({recipe, dataset, cache, groups, "test"}, s2, ref1.soft_prompt, dir / "stage2");
    expect_same_losses(got2.history, ref2.history, what + " stage 2");
  }
  world.group()->barrier();
  if (rank == 0) fs::remove_all(root);
}

}  // namespace
}  // namespace delrec::stages

namespace delrec::stages {
namespace {

// Three steps on TP 2 (x DP 1 or 2), then the checkpoint resumed on TP 1 x DP world for three more: steps 4..6
// see the same samples and give the single-rank losses (the learning rate is constant so both parts share it).
// Checkpoints are saved asynchronously, every step.
TEST(StagesMpi, ResumeOnAnotherLayoutKeepsTheSampleCountAndTheLosses) {
  const auto& world = test::test_world();
  const int rank = world.rank();
  const fs::path root = fresh_shared_dir(world, "delrec-reshard-mpi");
  config::Recipe recipe = test::tiny_delrec_recipe(root / "run", /*batch_size=*/4);
  recipe.stage2.train.steps = 6;
  recipe.stage2.train.warmup_steps = 0;
  recipe.stage2.train.decay = "constant";
  // Saved every step in the background: the ranks agree at step boundaries when every file is written.
  recipe.checkpoint.every_steps = 1;
  recipe.checkpoint.async_save = true;
  const data::Dataset dataset = run::run_pipeline(recipe, world, run::Until::kTeacher).dataset;
  const teacher::TeacherCacheReader cache = run::open_cache(recipe, dataset);
  torch::manual_seed(5);
  const torch::Tensor soft = torch::randn({3, 32}) * 0.02;

  const parallel::ParallelGroups single = alone(world);
  Backbone b0 = load_backbone(recipe, single);
  const auto reference =
      run_stage2({recipe, dataset, cache, single, "test"}, b0, soft, root / ("single-rank-" + std::to_string(rank)));

  const fs::path dir = root / "reshard";
  config::Recipe first_half = recipe;
  first_half.stage2.train.steps = 3;
  const auto tp2 = parallel::make_parallel_groups(world, 2);
  Backbone b1 = load_backbone(first_half, tp2);
  run_stage2({first_half, dataset, cache, tp2, "test"}, b1, soft, dir);
  world.group()->barrier();
  if (rank == 0) fs::remove_all(dir / "adapter");  // the finished first half's output; the stage runs on
  world.group()->barrier();

  const auto dp = parallel::make_parallel_groups(world, 1);
  Backbone b2 = load_backbone(recipe, dp);
  const auto second = run_stage2({recipe, dataset, cache, dp, "test"}, b2, soft, dir);
  ASSERT_EQ(second.history.size(), 3u) << "the resumed run must do steps 4..6 only";
  for (size_t s = 0; s < 3; ++s) {
    EXPECT_EQ(second.history[s].step, static_cast<int64_t>(s) + 4);
    const double expected = reference.history[s + 3].losses.at("rec");
    EXPECT_NEAR(second.history[s].losses.at("rec"), expected, 1e-5 * std::max(1.0, std::abs(expected)))
        << "step " << s + 4;
  }
  const auto state = nlohmann::json::parse(read_file(dir / "checkpoints/step-000006/trainer.json"));
  EXPECT_EQ(state.at("batches_taken").get<std::vector<int64_t>>(), std::vector<int64_t>{6});  // 6 x 4 samples
  EXPECT_EQ(state.at("dp").get<int>(), world.size());
  EXPECT_EQ(read_file(dir / "checkpoints/latest"), "step-000006\n");
  world.group()->barrier();
  if (rank == 0) fs::remove_all(root);
}

}  // namespace
}  // namespace delrec::stages

namespace delrec::stages {
namespace {

// Each data-parallel rank reads from the teacher cache only the examples it trains on: stage 2's 5 steps of 4
// examples over DP ranks read at most 5 x 4 / DP rows per rank (fewer when an example comes back), where every
// rank used to read the whole cache; together the ranks read every example one rank alone reads. Stage 1 reads its
// RPS examples and, for rps_targets.json, its 1/world slice of the cache.
TEST(StagesMpi, EachRankReadsOnlyTheCacheRowsItTrainsOn) {
  const auto& world = test::test_world();
  const int rank = world.rank(), W = world.size();
  const fs::path root = fresh_shared_dir(world, "delrec-cache-reads-mpi");
  const config::Recipe recipe = test::tiny_delrec_recipe(root / "run", /*batch_size=*/4);
  const data::Dataset dataset = run::run_pipeline(recipe, world, run::Until::kTeacher).dataset;
  torch::manual_seed(5);
  const torch::Tensor soft = torch::randn({3, 32}) * 0.02;

  const teacher::TeacherCacheReader alone_reader = run::open_cache(recipe, dataset);
  const int64_t total = alone_reader.num_examples();
  const parallel::ParallelGroups single = alone(world);
  Backbone b0 = load_backbone(recipe, single);
  run_stage2({recipe, dataset, alone_reader, single, "test"}, b0, soft, root / ("alone-" + std::to_string(rank)));
  const int64_t read_alone = alone_reader.examples_read();
  EXPECT_GT(read_alone, 0);
  EXPECT_LE(read_alone, 5 * 4);
  EXPECT_LT(read_alone, total) << "one rank alone reads the examples of its 20 samples, not the whole cache";

  const auto groups = parallel::make_parallel_groups(world, 1);  // DP over every rank
  const teacher::TeacherCacheReader reader = run::open_cache(recipe, dataset);
  Backbone b1 = load_backbone(recipe, groups);
  run_stage2({recipe, dataset, reader, groups, "test"}, b1, soft, root / "dp");
  const int64_t mine = reader.examples_read();
  EXPECT_GT(mine, 0) << "rank " << rank;
  EXPECT_LE(mine, 5 * 4 / W) << "rank " << rank << " of " << W;
  torch::Tensor sum = torch::tensor({static_cast<double>(mine)}, torch::kFloat64);
  world.group()->all_reduce(sum, parallel::ReduceOp::kSum);
  EXPECT_GE(sum.item<double>(), static_cast<double>(read_alone)) << "some trained example was never read";

  const teacher::TeacherCacheReader stage1_reader = run::open_cache(recipe, dataset);
  Backbone b2 = load_backbone(recipe, groups);
  run_stage1({recipe, dataset, stage1_reader, groups, "test"}, b2, root / "dp-stage1");
  const auto [begin, end] = stage1_reader.slice(rank, W);
  EXPECT_LE(stage1_reader.examples_read(), (end - begin) + 5 * 4 / W) << "rank " << rank;
  world.group()->barrier();
  if (rank == 0) fs::remove_all(root);
}

}  // namespace
}  // namespace delrec::stages
