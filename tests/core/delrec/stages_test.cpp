// The two stages on a tiny run: stage 1 moves only the soft prompt, stage 2 only the adapters; a saved adapter
// reloads to the same scores; the trainer combines task gradients with the dynamic weights.
#include "core/delrec/stages.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/delrec/candidate_scorer.h"
#include "core/delrec/examples.h"
#include "core/delrec/prompt_encoder.h"
#include "core/delrec/soft_prompt.h"
#include "core/llm/lora.h"
#include "core/run/pipeline.h"
#include "core/train/stop_request.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "tests/core/delrec/stage_test_support.h"
#include "tests/test_support.h"

namespace fs = std::filesystem;

namespace delrec::stages {
namespace {

const parallel::World& world() {
  static parallel::World w;  // a world of one: these tests run outside mpirun
  return w;
}

parallel::ParallelGroups& single_groups() {
  static parallel::ParallelGroups groups = parallel::make_parallel_groups(world(), 1);
  return groups;
}

std::map<std::string, torch::Tensor> base_weights(llm::CausalLm& model) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : model->named_parameters())
    if (p.key().find("lora_") == std::string::npos) out[p.key()] = p.value().detach().clone();
  return out;
}

void expect_unchanged(llm::CausalLm& model, const std::map<std::string, torch::Tensor>& before) {
  size_t seen = 0;
  for (const auto& p : model->named_parameters()) {
    auto it = before.find(p.key());
    if (it == before.end()) continue;
    ++seen;
    EXPECT_TRUE(torch::equal(p.value(), it->second)) << p.key() << " changed";
  }
  EXPECT_EQ(seen, before.size());
}

class Stages : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new test::TempDir();
    recipe_ = new config::Recipe(test::tiny_delrec_recipe(dir_->path() / "run"));
    const auto prepared = run::run_pipeline(*recipe_, world(), run::Until::kTeacher);
    dataset_ = new data::Dataset(prepared.dataset);
    cache_ = new teacher::TeacherCacheReader(run::open_cache(*recipe_, *dataset_));
  }
  static void TearDownTestSuite() {
    delete cache_;
    delete dataset_;
    delete recipe_;
    delete dir_;
  }
  StageInputs inputs() const { return {*recipe_, *dataset_, *cache_, single_groups(), "test"}; }

  static test::TempDir* dir_;
  static config::Recipe* recipe_;
  static data::Dataset* dataset_;
  static teacher::TeacherCacheReader* cache_;
};
test::TempDir* Stages::dir_ = nullptr;
config::Recipe* Stages::recipe_ = nullptr;
data::Dataset* Stages::dataset_ = nullptr;
teacher::TeacherCacheReader* Stages::cache_ = nullptr;

TEST_F(Stages, StageOneTrainsOnlyTheSoftPrompt) {
  Backbone backbone = load_backbone(*recipe_, single_groups());
  const auto before = base_weights(backbone.model);
  const torch::Tensor initial = init_soft_prompt(backbone.model, *backbone.tokenizer, recipe_->stage1);
  const StageOutcome out = run_stage1(inputs(), backbone, dir_->path() / "stage1");
  expect_unchanged(backbone.model, before);
  EXPECT_FALSE(torch::equal(out.soft_prompt, initial)) << "the soft prompt did not train";
  ASSERT_EQ(out.history.size(), 5u);
  for (const auto& step : out.history) {
    EXPECT_TRUE(std::isfinite(step.losses.at("ta")));
    EXPECT_TRUE(std::isfinite(step.losses.at("rps")));
    EXPECT_NEAR(step.weights[0] + step.weights[1], 1.0, 1e-12);  // dynamic weights are normalised
  }
  EXPECT_TRUE(torch::equal(load_soft_prompt(dir_->path() / "stage1" / "soft_prompt.safetensors", backbone.model),
                           out.soft_prompt));
}

TEST_F(Stages, StageTwoKeepsTheSoftPromptAndItsAdapterReloadsToIdenticalScores) {
  Backbone backbone = load_backbone(*recipe_, single_groups());
  const auto before = base_weights(backbone.model);
  torch::manual_seed(3);
  const torch::Tensor soft = torch::randn({3, 32}) * 0.02;
  const torch::Tensor soft_before = soft.clone();
  const StageOutcome out = run_stage2(inputs(), backbone, soft, dir_->path() / "stage2");
  EXPECT_TRUE(torch::equal(soft, soft_before)) << "stage 2 changed the soft prompt";
  expect_unchanged(backbone.model, before);
  for (const auto& p : backbone.model->named_parameters()) {
    if (p.key().find("lora_B") != std::string::npos) {
      EXPECT_GT(p.value().abs().sum().item<double>(), 0) << p.key() << " still zero: the adapter did not train";
    }
  }
  EXPECT_EQ(out.history.size(), 5u);

  Backbone reloaded = load_backbone(*recipe_, single_groups());
  llm::load_lora(reloaded.model, dir_->path() / "stage2" / "adapter");
  backbone.model->eval();
  reloaded.model->eval();
  prompt::PromptEncoder encoder(recipe_->prompt, recipe_->teacher.model, 3, *backbone.tokenizer, *dataset_,
                                recipe_->data.num_candidates);
  const auto test = examples::split_examples(*dataset_, examples::Split::kTest, 4, 1);
  torch::NoGradGuard no_grad;
  for (const auto& e : test) {
    const auto tokens = encoder.encode(e, prompt::Task::kRecommend);
    EXPECT_TRUE(torch::equal(score_example(backbone.model, soft, tokens, encoder),
                             score_example(reloaded.model, soft, tokens, encoder)));
  }
}

// A bfloat16 backbone trains float32 adapters, as PEFT keeps them (a bfloat16 B would round away most small
// updates), while the frozen weights stay bfloat16; its stage-2 losses follow a float32 run of the same 5 steps.
TEST_F(Stages, BfloatBackboneTrainsFloat32AdaptersWithLossesNearFloat32) {
  config::Recipe f32 = *recipe_, b16 = *recipe_;
  f32.backbone.dtype = "float32";
  b16.backbone.dtype = "bfloat16";
  Backbone full = load_backbone(f32, single_groups()), half = load_backbone(b16, single_groups());
  torch::manual_seed(3);
  const torch::Tensor soft = torch::randn({3, 32}) * 0.02;
  const StageOutcome ref = run_stage2({f32, *dataset_, *cache_, single_groups(), "test"}, full, soft,
                                     dir_->path() / "stage2-f32");
  const StageOutcome out = run_stage2({b16, *dataset_, *cache_, single_groups(), "test"}, half, soft,
                                      dir_->path() / "stage2-bf16");
  int adapters = 0;
  for (const auto& p : half.model->named_parameters()) {
    const bool lora = p.key().find("lora_") != std::string::npos;
    adapters += lora;
    EXPECT_EQ(p.value().scalar_type(), lora ? torch::kFloat32 : torch::kBFloat16) << p.key();
    if (lora && p.value().grad().defined()) {
      EXPECT_EQ(p.value().grad().scalar_type(), torch::kFloat32) << p.key();
    }
  }
  EXPECT_GT(adapters, 0);
  ASSERT_EQ(out.history.size(), 5u);
  ASSERT_EQ(ref.history.size(), 5u);
  for (size_t i = 0; i < 5; ++i) {
    const double a = out.history[i].losses.at("rec"), b = ref.history[i].losses.at("rec");
    std::cout << "step " << i + 1 << ": loss bf16 " << a << ", float32 " << b << "\n";
    EXPECT_LE(std::abs(a - b), 2e-2 * std::max(1.0, std::abs(b))) << "step " << i + 1 << ": bf16 " << a << ", f32 " << b;
  }
}

TEST(Trainer, CombinesTaskGradientsWithDynamicWeights) {
  // Task "a": loss 3 * sum(p) per example, gradient (3, 3), norm sqrt(18); task "b": sum(p), gradient (1, 1).
  torch::Tensor p = torch::zeros({2}, torch::requires_grad());
  auto task = [&](const std::string& name, double scale) {
    return train::Task{name, 6, [&p, scale](const std::vector<int64_t>& idx) {
                         return (p * scale).sum() * static_cast<double>(idx.size());
                       }, nullptr};
  };
  train::TrainerOptions options;
  options.optim.optimizer = "lion";
  options.optim.steps = 1;
  options.optim.batch_size = 4;
  options.optim.micro_batch_size = 3;  // accumulation over micro-batches of 3 and 1
  options.optim.warmup_steps = 0;
  options.optim.decay = "constant";
  options.optim.lr = 0.1;
  options.optim.weight_decay = 0;
  options.optim.clip = 0;
  options.dynamic_weights = true;
  train::Trainer trainer(options, {task("a", 3), task("b", 1)}, {{"p", p}}, single_groups());
  const train::StepRecord r = trainer.step();
  const double wa = std::sqrt(1 / std::sqrt(18.0)), wb = std::sqrt(1 / std::sqrt(2.0));
  ASSERT_EQ(r.weights.size(), 2u);
  EXPECT_NEAR(r.weights[0], wa / (wa + wb), 1e-9);
  EXPECT_NEAR(r.weights[1], wb / (wa + wb), 1e-9);
  const double g = 3 * r.weights[0] + r.weights[1];
  EXPECT_NEAR(p.grad()[0].item<double>(), g, 1e-6);
  EXPECT_NEAR(r.grad_norm, g * std::sqrt(2.0), 1e-6);
  // Lion: every coordinate moves by exactly lr against the sign of the (momentum-interpolated) gradient.
  EXPECT_NEAR(p[0].item<double>(), -0.1, 1e-7);
  EXPECT_NEAR(r.losses.at("a"), 0.0, 1e-12);  // p was 0 when the losses were taken
}

}  // namespace
}  // namespace delrec::stages

namespace delrec::train {
namespace {

// A toy two-parameter problem: loss (p - target_i)^2 summed over the examples of a batch.
struct Toy {
  torch::Tensor p = torch::zeros({2}, torch::requires_grad());
  int calls = 0;
  int stop_at_call = -1;  // request a stop (as SIGTERM would) during this loss call

  Task task() {
    return Task{"toy", 10, [this](const std::vector<int64_t>& idx) {
                  if (++calls == stop_at_call) request_stop(75);
                  torch::Tensor sum = torch::zeros({});
                  for (int64_t i : idx) sum = sum + (p - static_cast<double>(i)).pow(2).sum();
                  return sum;
                }, nullptr};
  }
};

TrainerOptions toy_options(const std::filesystem::path& dir, const std::string& optimizer) {
  TrainerOptions o;
  o.optim.optimizer = optimizer;
  o.optim.steps = 6;
  o.optim.batch_size = 2;
  o.optim.micro_batch_size = 1;
  o.optim.warmup_steps = 2;
  o.optim.lr = 0.05;
  o.seed = 9;
  o.label = "toy";
  o.checkpoint_dir = dir / "checkpoints";
  o.checkpoint.every_steps = 0;  // only at the end and when asked to stop
  o.optim.log_every = 1;
  o.metrics_jsonl = dir / "metrics.jsonl";
  return o;
}

TEST(TrainerCheckpoint, StopRequestSavesAndTheResumedRunEndsBitwiseEqual) {
  for (const std::string optimizer : {"adamw", "lion"}) {
    test::TempDir dir;
    Toy straight;
    Trainer(toy_options(dir / "straight", optimizer), {straight.task()}, {{"p", straight.p}}, stages::single_groups())
        .run(nullptr);

    Toy first;
    first.stop_at_call = 5;  // during step 3 (two micro-batches per step)
    try {
      Trainer(toy_options(dir / "cut", optimizer), {first.task()}, {{"p", first.p}}, stages::single_groups())
          .run(nullptr);
      ADD_FAILURE() << "no stop";
    } catch (const StopRequested& e) {
      EXPECT_EQ(e.exit_status(), 75);
      EXPECT_NE(std::string(e.what()).find("stopped at step 3"), std::string::npos) << e.what();
    }
    request_stop(0);
    EXPECT_TRUE(std::filesystem::exists(dir / "cut/checkpoints/step-000003/trainer.json"));

    Toy second;  // a new process: fresh parameters, resumed from the checkpoint
    Trainer resumed(toy_options(dir / "cut", optimizer), {second.task()}, {{"p", second.p}}, stages::single_groups());
    resumed.run(nullptr);
    EXPECT_EQ(second.calls, 6) << "steps 4..6 only";
    EXPECT_TRUE(torch::equal(second.p, straight.p)) << optimizer;
    // The same per-step lines (losses, norms, learning rates) except the timings.
    EXPECT_EQ(test::metrics_without_timings(read_file(dir / "cut/metrics.jsonl")),
              test::metrics_without_timings(read_file(dir / "straight/metrics.jsonl")));
  }
}

// A kill (or a full disk) in the middle of a metrics line: the resumed run drops the torn line and goes on.
TEST(TrainerCheckpoint, ATornLastMetricsLineDoesNotStopTheResume) {
  test::TempDir dir;
  Toy straight;
  Trainer(toy_options(dir / "straight", "adamw"), {straight.task()}, {{"p", straight.p}}, stages::single_groups())
      .run(nullptr);
  Toy first;
  first.stop_at_call = 5;
  EXPECT_THROW(Trainer(toy_options(dir / "cut", "adamw"), {first.task()}, {{"p", first.p}}, stages::single_groups())
                   .run(nullptr),
               StopRequested);
  request_stop(0);
  {
    std::ofstream out(dir / "cut/metrics.jsonl", std::ios::app);
    out << R"({"stage":"toy","step":4,"lo)";
  }
  Toy second;
  Trainer(toy_options(dir / "cut", "adamw"), {second.task()}, {{"p", second.p}}, stages::single_groups()).run(nullptr);
  EXPECT_TRUE(torch::equal(second.p, straight.p));
  EXPECT_EQ(test::metrics_without_timings(read_file(dir / "cut/metrics.jsonl")),
            test::metrics_without_timings(read_file(dir / "straight/metrics.jsonl")));
}

// train.keep = best_valid: the parameters of the best validation (the earlier of two equal ones) are the stage's
// output, also when the run was stopped after that validation and resumed in a new process.
TEST(TrainerCheckpoint, KeepBestValidReturnsTheBestValidatedStepAcrossAResume) {
  const std::map<int64_t, double> ndcg = {{1, 0.1}, {2, 0.9}, {3, 0.5}, {4, 0.9}, {5, 0.2}, {6, 0.3}};
  auto options = [](const std::filesystem::path& dir, const std::string& keep) {
    TrainerOptions o = toy_options(dir, "adamw");
    o.optim.eval_every = 1;
    o.optim.keep = keep;
    return o;
  };
  test::TempDir dir;
  Toy last;
  std::map<int64_t, torch::Tensor> seen;  // the parameters each validation saw
  Trainer(options(dir / "last", "last"), {last.task()}, {{"p", last.p}}, stages::single_groups())
      .run([&](int64_t step) {
        seen[step] = last.p.detach().clone();
        return nlohmann::json{{"valid_ndcg@5", ndcg.at(step)}};
      });
  ASSERT_EQ(seen.size(), 6u);
  EXPECT_TRUE(torch::equal(last.p, seen.at(6)));
  ASSERT_FALSE(torch::equal(seen.at(2), seen.at(6)));

  Toy best;
  auto validate = [&](int64_t step) { return nlohmann::json{{"valid_ndcg@5", ndcg.at(step)}}; };
  Trainer(options(dir / "best", "best_valid"), {best.task()}, {{"p", best.p}}, stages::single_groups()).run(validate);
  EXPECT_TRUE(torch::equal(best.p, seen.at(2))) << best.p << " vs step 2 " << seen.at(2);

  Toy first;
  first.stop_at_call = 7;  // during step 4: its checkpoint holds step 2 as the best so far
  EXPECT_THROW(Trainer(options(dir / "cut", "best_valid"), {first.task()}, {{"p", first.p}}, stages::single_groups())
                   .run(validate),
               StopRequested);
  request_stop(0);
  Toy second;
  Trainer(options(dir / "cut", "best_valid"), {second.task()}, {{"p", second.p}}, stages::single_groups())
      .run(validate);
  EXPECT_TRUE(torch::equal(second.p, seen.at(2)));

  TrainerOptions wrong = options(dir / "wrong", "best_valid");
  wrong.optim.keep_metric = "valid_hr@1";
  Toy third;
  EXPECT_THROW(Trainer(wrong, {third.task()}, {{"p", third.p}}, stages::single_groups()).run(validate), Error);
}

// Every file of every checkpoint directory under `root`, by relative path.
std::map<std::string, std::string> checkpoint_files(const std::filesystem::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    if (e.is_regular_file()) out[std::filesystem::relative(e.path(), root).string()] = read_file(e.path());
  return out;
}

TEST(TrainerCheckpoint, AsyncSaveWritesTheSameCheckpointsAndAStopStillSavesBeforeExiting) {
  test::TempDir dir;
  auto options = [&](const std::string& name, bool async) {
    auto o = toy_options(dir / name, "adamw");
    o.checkpoint.every_steps = 1;
    o.checkpoint.keep_last = 10;
    o.checkpoint.async_save = async;
    return o;
  };
  Toy sync_toy, async_toy;
  Trainer(options("sync", false), {sync_toy.task()}, {{"p", sync_toy.p}}, stages::single_groups()).run(nullptr);
  Trainer(options("async", true), {async_toy.task()}, {{"p", async_toy.p}}, stages::single_groups()).run(nullptr);
  EXPECT_TRUE(torch::equal(sync_toy.p, async_toy.p));
  // The state of step N, not of a later step the training reached while the files were written.
  const auto sync_files = checkpoint_files(dir / "sync/checkpoints");
  EXPECT_EQ(sync_files.size(), 6u * 4u + 1u) << "steps 1..6 (state, rng, trainer.json, manifest) and latest";
  EXPECT_EQ(checkpoint_files(dir / "async/checkpoints"), sync_files);

  // A stop with a background save in flight: the run publishes it and the stop's own checkpoint before exiting.
  Toy cut;
  cut.stop_at_call = 5;  // during step 3
  try {
    Trainer(options("cut", true), {cut.task()}, {{"p", cut.p}}, stages::single_groups()).run(nullptr);
    ADD_FAILURE() << "no stop";
  } catch (const StopRequested& e) {
    EXPECT_EQ(e.exit_status(), 75);
  }
  request_stop(0);
  EXPECT_EQ(read_file(dir / "cut/checkpoints/latest"), "step-000003\n");
  for (const char* step : {"step-000002", "step-000003"}) {
    const std::string name = std::string(step) + "/state-tp00000-of-00001.safetensors";
    EXPECT_EQ(read_file(dir / "cut/checkpoints" / name), sync_files.at(name)) << name;
  }
  Toy resumed;
  Trainer(options("cut", true), {resumed.task()}, {{"p", resumed.p}}, stages::single_groups()).run(nullptr);
  EXPECT_EQ(resumed.calls, 6) << "steps 4..6 only";
  EXPECT_TRUE(torch::equal(resumed.p, sync_toy.p));
}

TEST(TrainerCheckpoint, BrokenNewestCheckpointAndLeftoversFallBackToTheLastGoodOne) {
  test::TempDir dir;
  Toy straight;
  auto options = toy_options(dir.path(), "adamw");
  options.checkpoint.every_steps = 1;
  options.checkpoint.keep_last = 3;
  Trainer(options, {straight.task()}, {{"p", straight.p}}, stages::single_groups()).run(nullptr);
  // Steps 4, 5, 6 are kept. Break step 6's state file, and leave a half-written save behind.
  const auto state = dir / "checkpoints/step-000006/state-tp00000-of-00001.safetensors";
  std::string bytes = read_file(state);
  bytes[bytes.size() / 2] ^= 0x5a;
  write_file_atomically(state, bytes);
  std::filesystem::create_directories(dir / "checkpoints/step-000007.tmp");
  Toy again;
  Trainer(options, {again.task()}, {{"p", again.p}}, stages::single_groups()).run(nullptr);
  EXPECT_EQ(again.calls, 2) << "step 6 redone from step 5";
  EXPECT_TRUE(torch::equal(again.p, straight.p));
  EXPECT_FALSE(std::filesystem::exists(dir / "checkpoints/step-000007.tmp"));
}

TEST(TrainerCheckpoint, CheckpointForOtherInputsIsRefused) {
  test::TempDir dir;
  Toy a;
  auto options = toy_options(dir.path(), "lion");
  options.fingerprint = "dataset A";
  Trainer(options, {a.task()}, {{"p", a.p}}, stages::single_groups()).run(nullptr);
  options.fingerprint = "dataset B";
  Toy b;
  try {
    Trainer(options, {b.task()}, {{"p", b.p}}, stages::single_groups()).run(nullptr);
    ADD_FAILURE() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("was made for other inputs"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace delrec::train
