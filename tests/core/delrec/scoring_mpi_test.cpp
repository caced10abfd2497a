// Both scorers with the backbone split over 2 and 4 ranks give the scores and soft-prompt gradients of one rank,
// on every rank (tiny-qwen2 at TP 4 replicates its key/value heads and ties its head to the embedding).
#include <gtest/gtest.h>

#include "core/delrec/scoring.h"
#include "tests/core/delrec/scoring_test_support.h"
#include "tests/core/llm/llm_test_support.h"
#include "tests/parallel/parallel_test_support.h"
#include "tests/test_support.h"

namespace delrec::scoring {
namespace {

struct Result {
  torch::Tensor likelihood, likelihood_grad, labels, labels_grad;
};

// Both scorers and their soft-prompt gradients on `model`, for a fresh copy of the case's soft prompt.
Result score(llm::CausalLm& model, const test::ScoringCase& c) {
  torch::Tensor soft = c.soft.detach().clone().requires_grad_(true);
  Result r;
  r.likelihood = likelihood_scores(model, prompt_embeddings(model, c.before, soft, c.after), c.candidates);
  r.likelihood_grad = torch::autograd::grad({r.likelihood.sum()}, {soft})[0];
  r.labels = label_scores(model, prompt_embeddings(model, c.before, soft, c.after), c.labels);
  r.labels_grad = torch::autograd::grad({r.labels.sum()}, {soft})[0];
  return r;
}

TEST(ScoringMpi, ScoresAndGradientsMatchSingleRankAtEveryTp) {
  for (const char* fixture : {"tiny-llama", "tiny-qwen2"}) {
    const auto dir = test::fixtures_dir() / fixture;
    auto single = parallel::make_parallel_groups(test::test_world(), 1);
    llm::CausalLm reference_model = llm::load_causal_lm(dir, single.tp);
    const test::ScoringCase c = test::scoring_case(dir, reference_model->config());
    const Result expected = score(reference_model, c);
    for (int tp : test::tp_sizes()) {
      auto groups = parallel::make_parallel_groups(test::test_world(), tp);
      llm::CausalLm model = llm::load_causal_lm(dir, groups.tp);
      const Result got = score(model, c);
      EXPECT_TRUE(test::tensors_near(got.likelihood, expected.likelihood, 1e-5)) << fixture << " tp " << tp;
      EXPECT_TRUE(test::tensors_near(got.labels, expected.labels, 1e-5)) << fixture << " tp " << tp;
      EXPECT_LT(test::relative_error(got.likelihood_grad, expected.likelihood_grad), 1e-4) << fixture << " tp " << tp;
      EXPECT_LT(test::relative_error(got.labels_grad, expected.labels_grad), 1e-4) << fixture << " tp " << tp;
    }
  }
}

}  // namespace
}  // namespace delrec::scoring
