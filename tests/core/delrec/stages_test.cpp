// The two stages on a tiny run: stage 1 moves only the soft prompt, stage 2 only the adapters; a saved adapter
// reloads to the same scores; the trainer combines task gradients with the dynamic weights.
#include "core/delrec/stages.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "core/delrec/candidate_scorer.h"
#include "core/delrec/examples.h"
#include "core/delrec/prompt_encoder.h"
#include "core/delrec/soft_prompt.h"
#include "core/llm/lora.h"
#include "core/run/pipeline.h"
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
    cache_ = new teacher::CacheBatch(run::read_cache(*recipe_, *dataset_));
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
  static teacher::CacheBatch* cache_;
};
test::TempDir* Stages::dir_ = nullptr;
config::Recipe* Stages::recipe_ = nullptr;
data::Dataset* Stages::dataset_ = nullptr;
teacher::CacheBatch* Stages::cache_ = nullptr;

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
  for (const auto& p : backbone.model->named_parameters())
    if (p.key().find("lora_B") != std::string::npos)
      EXPECT_GT(p.value().abs().sum().item<double>(), 0) << p.key() << " still zero: the adapter did not train";
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
