// Benchmark of the DELRec stages on the quickstart backbone (not run by ctest):
//   bench_delrec [RUN_DIR] [--steps N] [--examples N]
// Builds the quickstart run's data, teacher, cache and scratch backbone in RUN_DIR (default a temporary folder;
// reused when present), then measures on this machine:
//   stage 2 training   tokens/s, and the share of step time spent outside forward/backward (examples, prompts,
//                      gradient all-reduce, optimizer), from the trainer's own timings
//   evaluation         candidates/s of prefix-shared likelihood scoring, against the baseline of running the
//                      prompt once per candidate (measured in the same run on the same examples); ratio printed
#include <fmt/format.h>

#include <chrono>
#include <iostream>

#include "core/config/embedded_files.h"
#include "core/delrec/backbone.h"
#include "core/delrec/candidate_scorer.h"
#include "core/delrec/examples.h"
#include "core/delrec/prompt_encoder.h"
#include "core/delrec/stages.h"
#include "core/run/pipeline.h"
#include "parallel/cross_entropy.h"
#include "parallel/parallel_groups.h"
#include "core/util/host_runtime.h"

namespace fs = std::filesystem;
using namespace delrec;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// The baseline scorer: the whole prompt + candidate sequence through the model once per candidate.
torch::Tensor separate_scores(llm::CausalLm& model, const torch::Tensor& soft, const prompt::TokenizedExample& t) {
  std::vector<float> out;
  for (const auto& answer : t.answers) {
    std::vector<int64_t> after = t.after;
    after.insert(after.end(), answer.begin(), answer.end());
    torch::Tensor x = torch::cat({model->embed(torch::tensor(t.before).unsqueeze(0)), soft.unsqueeze(0),
                                  model->embed(torch::tensor(after).unsqueeze(0))}, 1);
    torch::Tensor logits = model->forward_embeddings(x);  // (1, S, V)
    const int64_t S = x.size(1), L = static_cast<int64_t>(answer.size());
    torch::Tensor targets = torch::tensor(answer).unsqueeze(0);
    torch::Tensor nll = parallel::vocab_parallel_cross_entropy(logits.narrow(1, S - L - 1, L).contiguous(), targets,
                                                               model->tp());
    out.push_back(-nll.mean().item<float>());
  }
  return torch::tensor(out);
}

}  // namespace

int main(int argc, char** argv) {
  delrec::util::tune_host_runtime();  // docs/teachers.md: allocator and BLAS threads
  fs::path dir = fs::temp_directory_path() / "delrec-bench-quickstart";
  int64_t steps = 20, eval_examples = 40;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--steps" && i + 1 < argc) steps = std::stoll(argv[++i]);
    else if (a == "--examples" && i + 1 < argc) eval_examples = std::stoll(argv[++i]);
    else dir = a;
  }
  parallel::World world;
  config::Recipe recipe = config::parse_recipe(config::kQuickstartRecipe, "<embedded quickstart>",
                                               {"run.out_dir=" + dir.string()});
  recipe.stage2.train.steps = steps;
  recipe.stage2.train.eval_examples = 4;
  const auto dataset = run::run_pipeline(recipe, world, run::Until::kTeacher).dataset;
  const auto cache = run::open_cache(recipe, dataset);
  const auto groups = parallel::make_parallel_groups(world, stages::tensor_parallel_size(recipe));
  const bool lead = world.rank() == 0;

  // Stage 2 with a random soft prompt of the recipe's length (its values do not change the cost).
  stages::Backbone backbone = stages::load_backbone(recipe, groups);
  torch::manual_seed(0);
  const torch::Tensor soft = torch::randn({recipe.stage1.soft_tokens, backbone.model->config().hidden_size}) * 0.02;
  const auto outcome = stages::run_stage2({recipe, dataset, cache, groups, "test"}, backbone, soft,
                                          dir / "bench_stage2");
  double seconds = 0, fb = 0;
  int64_t tokens = 0;
  for (size_t s = 1; s < outcome.history.size(); ++s) {  // the first step warms up allocators and prompt caches
    seconds += outcome.history[s].seconds;
    fb += outcome.history[s].forward_backward_seconds;
    tokens += outcome.history[s].tokens;
  }
  if (lead)
    std::cout << fmt::format("stage 2 training: {:.0f} tokens/s over {} steps of {} examples; {:.1f}% of step time "
                             "outside forward/backward (examples, prompts, all-reduce, optimizer)\n",
                             tokens / seconds, outcome.history.size() - 1, recipe.stage2.train.batch_size,
                             100.0 * (seconds - fb) / seconds);

  // Evaluation throughput, prefix-shared against once-per-candidate, on the same test examples.
  backbone.model->eval();
  torch::NoGradGuard no_grad;
  prompt::PromptEncoder encoder(recipe.prompt, recipe.teacher.model, soft.size(0), *backbone.tokenizer, dataset,
                                recipe.data.num_candidates);
  const auto test = examples::split_examples(dataset, examples::Split::kTest, eval_examples, 1);
  std::vector<prompt::TokenizedExample> tokens_of;
  for (const auto& e : test) tokens_of.push_back(encoder.encode(e, prompt::Task::kRecommend));
  int64_t candidates = 0;
  double max_difference = 0;
  auto t0 = Clock::now();
  std::vector<torch::Tensor> shared;
  for (const auto& t : tokens_of) {
    shared.push_back(stages::score_example(backbone.model, soft, t, encoder));
    candidates += static_cast<int64_t>(t.answers.size());
  }
  const double shared_s = seconds_since(t0);
  t0 = Clock::now();
  for (size_t i = 0; i < tokens_of.size(); ++i)
    max_difference = std::max(max_difference,
                              (separate_scores(backbone.model, soft, tokens_of[i]) - shared[i]).abs().max().item<double>());
  const double separate_s = seconds_since(t0);
  if (lead)
    std::cout << fmt::format("evaluation: {:.0f} candidates/s prefix-shared vs {:.0f} candidates/s running the prompt "
                             "per candidate: {:.2f}x (max score difference {:.1e}; {} examples x {} candidates)\n",
                             candidates / shared_s, candidates / separate_s, separate_s / shared_s, max_difference,
                             tokens_of.size(), recipe.data.num_candidates);
  return 0;
}
