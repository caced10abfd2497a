// A training step of a small tensor-parallel MLP under every layout the world allows (TP=1 x DP=n, TP=2 x DP=n/2,
// TP=4 x DP=1 ...): each DP rank takes its share of the batch, and after the DP gradient average every rank's
// gradients must equal those of one process computing the unsplit model on the whole batch. Also checks the
// global gradient-norm clipping against the unsplit gradients' norm.
#include "parallel/data_parallel.h"

#include <gtest/gtest.h>

#include <cmath>

#include "parallel/grad_clip.h"
#include "parallel/layers.h"
#include "parallel/mappings.h"
#include "tests/parallel/parallel_test_support.h"

namespace delrec::parallel {
namespace {

namespace F = torch::nn::functional;
using test::tensors_near;

constexpr int64_t kBatch = 8, kIn = 6, kHidden = 8, kOut = 3;

// Full parameters and data (identical on every rank), with the gradients of the unsplit model on the whole batch.
struct Reference {
  torch::Tensor w1, b1, w2, b2, x, target;
  Reference() {
    torch::manual_seed(21);
    auto opts = torch::TensorOptions().dtype(torch::kDouble);
    w1 = torch::randn({kHidden, kIn}, opts).requires_grad_();
    b1 = torch::randn({kHidden}, opts).requires_grad_();
    w2 = torch::randn({kOut, kHidden}, opts).requires_grad_();
    b2 = torch::randn({kOut}, opts).requires_grad_();
    x = torch::randn({kBatch, kIn}, opts);
    target = torch::randn({kBatch, kOut}, opts);
    loss(F::linear(torch::tanh(F::linear(x, w1, b1)), w2, b2), target).backward();
  }
  // Mean over the rows of the squared error summed over outputs: the mean of equal-sized shards' means.
  static torch::Tensor loss(const torch::Tensor& y, const torch::Tensor& target) {
    return (y - target).pow(2).sum(-1).mean();
  }
  std::vector<torch::Tensor> grads() const { return {w1.grad(), b1.grad(), w2.grad(), b2.grad()}; }
};

struct Mlp {
  ColumnParallelLinear up;
  RowParallelLinear down;
  torch::nn::Sequential modules;

  Mlp(const Reference& ref, const std::shared_ptr<Communicator>& tp)
      : up(ParallelLinearOptions(kIn, kHidden).dtype(torch::kDouble), tp),
        down(ParallelLinearOptions(kHidden, kOut).dtype(torch::kDouble), tp),
        modules(up, down) {
    up->load_full_weight(ref.w1.detach());
    up->load_full_bias(ref.b1.detach());
    down->load_full_weight(ref.w2.detach());
    down->load_full_bias(ref.b2.detach());
  }
  // Backward of the loss on this DP rank's rows of the batch.
  void backward(const Reference& ref, const Layout& layout) {
    int64_t rows = kBatch / layout.dp();
    torch::Tensor x = ref.x.narrow(0, layout.dp_rank() * rows, rows);
    torch::Tensor target = ref.target.narrow(0, layout.dp_rank() * rows, rows);
    Reference::loss(down->forward(torch::tanh(up->forward(x))), target).backward();
  }
  void expect_gradients_match(const Reference& ref, const Communicator& tp) {
    EXPECT_TRUE(tensors_near(up->weight().grad(), tp_slice(ref.w1.grad(), 0, tp), 1e-10));
    EXPECT_TRUE(tensors_near(up->bias().grad(), tp_slice(ref.b1.grad(), 0, tp), 1e-10));
    EXPECT_TRUE(tensors_near(down->weight().grad(), tp_slice(ref.w2.grad(), 1, tp), 1e-10));
    EXPECT_TRUE(tensors_near(down->bias().grad(), ref.b2.grad(), 1e-10));
  }
};

std::vector<int> all_tp_sizes() {
  std::vector<int> sizes{1};
  for (int tp : test::tp_sizes()) sizes.push_back(tp);
  return sizes;
}

TEST(DataParallelGradientsTest, StepMatchesOneProcessOnTheWholeBatch) {
  Reference ref;
  for (int tp : all_tp_sizes()) {
    ParallelGroups groups = make_parallel_groups(test::test_world(), tp);
    SCOPED_TRACE(groups.layout.describe());
    Mlp mlp(ref, groups.tp);
    DataParallelGradients dp(mlp.modules->parameters(), groups.dp);
    mlp.backward(ref, groups.layout);
    dp.all_reduce_gradients();
    mlp.expect_gradients_match(ref, *groups.tp);
  }
}

TEST(DataParallelGradientsTest, OverlappedBucketsMatchTheSynchronousResult) {
  Reference ref;
  for (int tp : all_tp_sizes()) {
    ParallelGroups groups = make_parallel_groups(test::test_world(), tp);
    // 1e-6 MiB puts every parameter in its own bucket; 25 MiB puts them all in one.
    for (double bucket_mb : {1e-6, 25.0}) {
      SCOPED_TRACE(groups.layout.describe() + ", bucket_mb " + std::to_string(bucket_mb));
      Mlp mlp(ref, groups.tp);
      DataParallelGradients dp(mlp.modules->parameters(), groups.dp,
                               DataParallelOptions().bucket_mb(bucket_mb).overlap(true));
      EXPECT_EQ(dp.num_buckets(), bucket_mb < 1 ? 4u : 1u);
      // Two steps: the second checks that the buckets are reset by finish_gradient_sync().
      for (int step = 0; step < 2; ++step) {
        for (auto& p : mlp.modules->parameters()) p.mutable_grad() = torch::Tensor();
        mlp.backward(ref, groups.layout);
        dp.finish_gradient_sync();
        mlp.expect_gradients_match(ref, *groups.tp);
      }
    }
  }
}

TEST(GradClipTest, NormIsThatOfTheUnsplitGradientsAndClipsToMaxNorm) {
  Reference ref;
  double ref_norm = 0;
  for (const auto& g : ref.grads()) ref_norm += g.pow(2).sum().item<double>();
  ref_norm = std::sqrt(ref_norm);
  for (int tp : all_tp_sizes()) {
    ParallelGroups groups = make_parallel_groups(test::test_world(), tp);
    SCOPED_TRACE(groups.layout.describe());
    Mlp mlp(ref, groups.tp);
    DataParallelGradients dp(mlp.modules->parameters(), groups.dp);
    mlp.backward(ref, groups.layout);
    dp.all_reduce_gradients();
    double max_norm = ref_norm / 4;
    EXPECT_NEAR(clip_grad_norm(*mlp.modules, *groups.tp, max_norm), ref_norm, 1e-10 * ref_norm);
    double scale = max_norm / (ref_norm + 1e-6);
    EXPECT_TRUE(tensors_near(mlp.down->weight().grad(), tp_slice(ref.w2.grad(), 1, *groups.tp) * scale, 1e-10));
    EXPECT_TRUE(tensors_near(mlp.down->bias().grad(), ref.b2.grad() * scale, 1e-10));
    // Clipping again to a larger bound leaves the gradients alone and reports the clipped norm.
    EXPECT_NEAR(clip_grad_norm(*mlp.modules, *groups.tp, ref_norm), max_norm, 1e-6);
  }
}

TEST(ParallelGroupsTest, InvalidLayoutFailsNamingEveryFactor) {
  int n = test::test_world().size();
  try {
    make_parallel_groups(test::test_world(), 3);
    FAIL() << "tp 3 was accepted for a world of " << n;
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("world(" + std::to_string(n) + ") is not divisible by tp(3)"),
              std::string::npos)
        << e.what();
  }
}

TEST(ParallelGroupsTest, GroupsFollowTheLayout) {
  for (int tp : all_tp_sizes()) {
    ParallelGroups groups = make_parallel_groups(test::test_world(), tp);
    EXPECT_EQ(groups.tp->size(), tp);
    EXPECT_EQ(groups.tp->rank(), groups.layout.tp_rank());
    EXPECT_EQ(groups.dp->size(), groups.layout.dp());
    EXPECT_EQ(groups.dp->rank(), groups.layout.dp_rank());
    // The sum of global ranks over each group equals the sum of the ranks the layout lists for it.
    torch::Tensor tp_sum = torch::tensor({static_cast<int64_t>(groups.layout.rank())});
    groups.tp->all_reduce(tp_sum, ReduceOp::kSum);
    int64_t expected = 0;
    for (int r : groups.layout.tp_group_ranks()) expected += r;
    EXPECT_EQ(tp_sum.item<int64_t>(), expected);
    torch::Tensor dp_sum = torch::tensor({static_cast<int64_t>(groups.layout.rank())});
    groups.dp->all_reduce(dp_sum, ReduceOp::kSum);
    expected = 0;
    for (int r : groups.layout.dp_group_ranks()) expected += r;
    EXPECT_EQ(dp_sum.item<int64_t>(), expected);
  }
}

}  // namespace
}  // namespace delrec::parallel
