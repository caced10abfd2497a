// Vocab-parallel cross-entropy against torch::nn::functional::cross_entropy on the full logits: per-token loss,
// mean loss and the logits' gradient, with ignored targets and logits large enough to overflow exp() unshifted.
#include "parallel/cross_entropy.h"

#include <gtest/gtest.h>

#include "parallel/mappings.h"
#include "tests/parallel/parallel_test_support.h"

namespace delrec::parallel {
namespace {

namespace F = torch::nn::functional;
using test::tensors_near;

TEST(VocabParallelCrossEntropyTest, MatchesCrossEntropyOnFullLogits) {
  constexpr int64_t kVocab = 16;
  for (int tp_size : test::tp_sizes()) {
    ParallelGroups groups = make_parallel_groups(test::test_world(), tp_size);
    for (torch::Dtype dtype : {torch::kDouble, torch::kFloat}) {
      for (double scale : {1.0, 100.0}) {
        SCOPED_TRACE("tp " + std::to_string(tp_size) + " scale " + std::to_string(scale));
        torch::manual_seed(5);
        auto opts = torch::TensorOptions().dtype(dtype);
        torch::Tensor logits = (scale * torch::randn({2, 4, kVocab}, opts)).requires_grad_();  // (B, T, V)
        torch::Tensor target = torch::randint(kVocab, {2, 4});
        target[0][1] = -100;
        target[1][3] = -100;
        torch::Tensor weights = torch::rand({2, 4}, opts);  // upstream gradient of the per-token loss
        torch::Tensor ref = F::cross_entropy(logits.view({-1, kVocab}), target.view({-1}),
                                             F::CrossEntropyFuncOptions().reduction(torch::kNone))
                                .view({2, 4});
        ref.backward(weights);
        torch::Tensor ref_mean = F::cross_entropy(logits.view({-1, kVocab}), target.view({-1}));

        torch::Tensor local = tp_slice(logits.detach(), -1, *groups.tp).requires_grad_();  // (B, T, V/tp)
        torch::Tensor loss = vocab_parallel_cross_entropy(local, target, groups.tp);
        double tol = test::tolerance(dtype) * scale;
        EXPECT_TRUE(tensors_near(loss, ref.detach(), tol));
        EXPECT_TRUE(tensors_near(loss.sum() / (target != -100).sum(), ref_mean.detach(), tol));
        loss.backward(weights);
        EXPECT_TRUE(tensors_near(local.grad(), tp_slice(logits.grad(), -1, *groups.tp), test::tolerance(dtype)));
      }
    }
  }
}

}  // namespace
}  // namespace delrec::parallel
