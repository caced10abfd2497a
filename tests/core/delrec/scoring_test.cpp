// Prefix-shared scoring against the plain computation: the key/value cache against full forwards (and the
// Hugging Face logits), both scorers and their gradients against one full forward per candidate, on one rank.
#include "core/delrec/scoring.h"

#include <gtest/gtest.h>

#include "core/llm/lora.h"
#include "core/llm/safetensors.h"
#include "core/util/error.h"
#include "tests/core/delrec/scoring_test_support.h"
#include "tests/core/llm/llm_test_support.h"
#include "tests/test_support.h"

namespace delrec::scoring {
namespace {

class ScoringFixture : public ::testing::TestWithParam<std::string> {
 protected:
  std::filesystem::path dir() const { return test::fixtures_dir() / GetParam(); }
};

// d sum(out) / d inputs
std::vector<torch::Tensor> gradients(const torch::Tensor& out, const std::vector<torch::Tensor>& inputs) {
  return torch::autograd::grad({out.sum()}, inputs);
}

TEST_P(ScoringFixture, CachedForwardEqualsFullForward) {
  llm::CausalLm model = llm::load_causal_lm(dir(), test::single_rank_tp());
  const test::ScoringCase c = test::scoring_case(dir(), model->config());
  torch::NoGradGuard no_grad;
  torch::Tensor prefix = test::plain_prompt(model, c);  // (1, P, hidden)
  const int64_t P = prefix.size(1);
  torch::Tensor suffix = model->embed(torch::stack({c.before.narrow(0, 0, 5), c.after.narrow(0, 2, 5)}));  // (2, 5, h)
  torch::Tensor next = model->embed(torch::stack({c.after.narrow(0, 0, 2), c.before.narrow(0, 1, 2)}));    // (2, 2, h)
  torch::Tensor full_input = torch::cat({prefix.expand({2, -1, -1}), suffix, next}, 1);
  torch::Tensor full = model->forward_embeddings(full_input);  // (2, P + 7, V)

  llm::KvCache cache;
  torch::Tensor prefix_logits = model->forward_embeddings(prefix, nullptr, &cache);
  ASSERT_EQ(cache.keys.size(), static_cast<size_t>(model->config().num_layers));
  EXPECT_EQ(cache.length(), P);
  EXPECT_LT(test::relative_error(prefix_logits, full.narrow(0, 0, 1).narrow(1, 0, P)), 1e-5);

  llm::KvCache present;  // batch-1 past shared by two rows
  torch::Tensor suffix_logits = model->forward_embeddings(suffix, &cache, &present);
  EXPECT_LT(test::relative_error(suffix_logits, full.narrow(1, P, 5)), 1e-5);
  EXPECT_EQ(present.length(), P + 5);
  EXPECT_EQ(present.keys[0].size(0), 2);

  // A past of batch 2 continues each row with its own keys and values.
  torch::Tensor next_logits = model->forward_embeddings(next, &present, nullptr);
  EXPECT_LT(test::relative_error(next_logits, full.narrow(1, P + 5, 2)), 1e-5);
}

TEST_P(ScoringFixture, CachedForwardMatchesHuggingFace) {
  llm::CausalLm model = llm::load_causal_lm(dir(), test::single_rank_tp());
  llm::SafetensorsFile ref(dir() / "reference.safetensors");
  const torch::Tensor ids = ref.read("input_ids"), soft = ref.read("soft_prompt"), expected = ref.read("soft_logits");
  const int64_t n = soft.size(0);
  torch::NoGradGuard no_grad;
  for (int64_t b = 0; b < ids.size(0); ++b) {
    // [soft ; tokens 0..7] cached, tokens 8..16 continue it: positions n + 8 .. n + 16 of the reference.
    llm::KvCache cache;
    torch::Tensor prompt = prompt_embeddings(model, torch::Tensor(), soft, ids[b].narrow(0, 0, 8));
    torch::Tensor head = model->forward_embeddings(prompt, nullptr, &cache);
    torch::Tensor tail = model->forward_embeddings(model->embed(ids[b].narrow(0, 8, 9).unsqueeze(0)), &cache, nullptr);
    EXPECT_LT(test::relative_error(head[0], expected[b].narrow(0, 0, n + 8)), 1e-5) << "row " << b;
    EXPECT_LT(test::relative_error(tail[0], expected[b].narrow(0, n + 8, 9)), 1e-5) << "row " << b;
  }
}

TEST_P(ScoringFixture, LikelihoodScoresEqualSeparateFullForwards) {
  llm::CausalLm model = llm::load_causal_lm(dir(), test::single_rank_tp());
  const test::ScoringCase c = test::scoring_case(dir(), model->config());
  torch::Tensor scores = likelihood_scores(model, prompt_embeddings(model, c.before, c.soft, c.after), c.candidates);
  EXPECT_EQ(scores.scalar_type(), torch::kFloat32);
  ASSERT_EQ(scores.dim(), 1);
  ASSERT_EQ(scores.size(0), static_cast<int64_t>(c.candidates.size()));
  torch::Tensor expected = test::separate_likelihood(model, c);
  EXPECT_LT(test::relative_error(scores, expected), 1e-5) << scores << expected;
  EXPECT_LT(test::relative_error(gradients(scores, {c.soft})[0], gradients(expected, {c.soft})[0]), 1e-4);
}

TEST_P(ScoringFixture, LabelScoresEqualFullForwardLogits) {
  llm::CausalLm model = llm::load_causal_lm(dir(), test::single_rank_tp());
  const test::ScoringCase c = test::scoring_case(dir(), model->config());
  torch::Tensor scores = label_scores(model, prompt_embeddings(model, c.before, c.soft, c.after), c.labels);
  EXPECT_EQ(scores.scalar_type(), torch::kFloat32);
  torch::Tensor expected = test::separate_labels(model, c);
  EXPECT_LT(test::relative_error(scores, expected), 1e-5) << scores << expected;
  EXPECT_LT(test::relative_error(gradients(scores, {c.soft})[0], gradients(expected, {c.soft})[0]), 1e-4);
}

// Several prompts packed into one forward score as each alone (full forward), soft-prompt and LoRA gradients too,
// although they differ in length and each sits at positions from 0: a prompt attending to another's positions, or
// RoPE at packed rather than own positions, would change every score after the first prompt.
TEST_P(ScoringFixture, PackedLabelScoresEqualEachPromptAlone) {
  llm::CausalLm model = llm::load_causal_lm(dir(), test::single_rank_tp());
  if (std::filesystem::exists(dir() / "lora_adapter")) llm::load_lora(model, dir() / "lora_adapter");
  const test::ScoringCase c = test::scoring_case(dir(), model->config());
  std::vector<test::ScoringCase> cases(3, c);  // 21, 14 and 8 positions
  cases[1].after = c.after.narrow(0, 0, 4);
  cases[2].before = c.before.narrow(0, 2, 3);
  cases[2].after = c.after.narrow(0, 5, 1);
  std::vector<torch::Tensor> prompts, expected;
  for (const auto& k : cases) {
    prompts.push_back(prompt_embeddings(model, k.before, k.soft, k.after));
    expected.push_back(test::separate_labels(model, k));
  }
  torch::Tensor scores = label_scores(model, prompts, c.labels);  // (3, C)
  ASSERT_EQ(scores.sizes(), (std::vector<int64_t>{3, static_cast<int64_t>(c.labels.size())}));
  torch::Tensor want = torch::stack(expected);
  EXPECT_LT(test::relative_error(scores, want), 1e-5) << scores << want;
  // Weights per prompt, so that a gradient reaching the wrong prompt's positions shows.
  torch::Tensor weights = torch::tensor({1.0, -2.0, 3.0}).unsqueeze(1);
  std::vector<torch::Tensor> inputs = {c.soft};
  for (const auto& p : llm::lora_parameters(model)) inputs.push_back(p);
  std::vector<torch::Tensor> got = gradients(scores * weights, inputs), ref = gradients(want * weights, inputs);
  for (size_t i = 0; i < inputs.size(); ++i) EXPECT_LT(test::relative_error(got[i], ref[i]), 1e-4) << "tensor " << i;
  EXPECT_NE(test::error_message([&] {
              model->forward_packed(torch::cat(prompts, 1), {21, 14, 7}, torch::tensor({0}, torch::kInt64));
            }).find("add up to 42, the row has 43"),
            std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ScoringFixture, ::testing::Values("tiny-llama", "tiny-qwen2"));

// Gradients reach LoRA adapters through the cached keys and values of the prompt.
TEST(Scoring, LikelihoodGradientsOfLoraEqualSeparateFullForwards) {
  const auto dir = test::fixtures_dir() / "tiny-llama";
  llm::CausalLm model = llm::load_causal_lm(dir, test::single_rank_tp());
  llm::load_lora(model, dir / "lora_adapter");
  const test::ScoringCase c = test::scoring_case(dir, model->config());
  std::vector<torch::Tensor> params = llm::lora_parameters(model);
  ASSERT_FALSE(params.empty());
  torch::Tensor scores = likelihood_scores(model, prompt_embeddings(model, c.before, c.soft, c.after), c.candidates);
  torch::Tensor expected = test::separate_likelihood(model, c);
  EXPECT_LT(test::relative_error(scores, expected), 1e-5);
  std::vector<torch::Tensor> got = gradients(scores, params), want = gradients(expected, params);
  for (size_t i = 0; i < params.size(); ++i) EXPECT_LT(test::relative_error(got[i], want[i]), 1e-4) << "tensor " << i;
}

TEST(Scoring, BadInputIsAClearError) {
  const auto dir = test::fixtures_dir() / "tiny-qwen2";
  llm::CausalLm model = llm::load_causal_lm(dir, test::single_rank_tp());
  const test::ScoringCase c = test::scoring_case(dir, model->config());
  const int64_t V = model->config().vocab_size;
  torch::NoGradGuard no_grad;
  torch::Tensor prompt = prompt_embeddings(model, c.before, c.soft, c.after);
  EXPECT_NE(test::error_message([&] { likelihood_scores(model, prompt, {}); }).find("no candidates"),
            std::string::npos);
  EXPECT_NE(test::error_message([&] {
              likelihood_scores(model, prompt, {{1, 2}, {}});
            }).find("candidate 1 has no tokens"),
            std::string::npos);
  EXPECT_NE(test::error_message([&] {
              likelihood_scores(model, prompt, {{1, V}});
            }).find("candidate 0 token 1 is token id"),
            std::string::npos);
  EXPECT_NE(test::error_message([&] { label_scores(model, prompt, {}); }).find("no label ids"), std::string::npos);
  EXPECT_NE(test::error_message([&] {
              label_scores(model, prompt, {3, -1});
            }).find("outside the vocabulary"),
            std::string::npos);
  EXPECT_NE(test::error_message([&] {
              prompt_embeddings(model, torch::tensor({V}, torch::kInt64), {}, {});
            }).find("before_ids"),
            std::string::npos);
  EXPECT_NE(test::error_message([&] {
              label_scores(model, prompt.expand({2, -1, -1}), {3});
            }).find("must be (1, positions"),
            std::string::npos);
}

}  // namespace
}  // namespace delrec::scoring
