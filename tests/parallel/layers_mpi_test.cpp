// Every tensor-parallel layer against the unsplit layer computed on every rank from the same seed: the forward
// output and the input and weight gradients must match (float64: 1e-10, float32: 1e-5) for every TP size the
// world allows (TP=2 with 2 ranks; TP=2 x DP=2 and TP=4 with 4 ranks).
#include "parallel/layers.h"

#include <gtest/gtest.h>

#include "parallel/mappings.h"
#include "tests/parallel/parallel_test_support.h"

namespace delrec::parallel {
namespace {

using test::tensors_near;
using test::tolerance;
namespace F = torch::nn::functional;

constexpr int64_t kIn = 16, kOut = 24, kBatch = 3, kSeq = 5;

struct Case {
  int tp;
  torch::Dtype dtype;
};

std::vector<Case> cases() {
  std::vector<Case> all;
  for (int tp : test::tp_sizes())
    for (torch::Dtype dtype : {torch::kDouble, torch::kFloat}) all.push_back({tp, dtype});
  return all;
}

// The same full tensors on every rank: a linear layer's weight (out, in), bias (out), input (B, T, in) and the
// upstream gradient (B, T, out), with the unsplit layer's output and gradients.
struct LinearReference {
  torch::Tensor weight, bias, x, grad_y, y, grad_x, grad_weight, grad_bias;

  explicit LinearReference(torch::Dtype dtype) {
    torch::manual_seed(7);
    auto opts = torch::TensorOptions().dtype(dtype);
    weight = torch::randn({kOut, kIn}, opts).requires_grad_();
    bias = torch::randn({kOut}, opts).requires_grad_();
    x = torch::randn({kBatch, kSeq, kIn}, opts).requires_grad_();
    grad_y = torch::randn({kBatch, kSeq, kOut}, opts);
    y = F::linear(x, weight, bias);
    y.backward(grad_y);
    grad_x = x.grad(), grad_weight = weight.grad(), grad_bias = bias.grad();
  }
};

ParallelLinearOptions linear_options(torch::Dtype dtype) { return ParallelLinearOptions(kIn, kOut).dtype(dtype); }

class TensorParallelLayerTest : public ::testing::Test {
 protected:
  void for_each_case(const std::function<void(const Case&, const std::shared_ptr<Communicator>&)>& body) {
    for (const Case& c : cases()) {
      SCOPED_TRACE("tp " + std::to_string(c.tp) + " " + std::string(c.dtype == torch::kDouble ? "f64" : "f32"));
      ParallelGroups groups = make_parallel_groups(test::test_world(), c.tp);
      body(c, groups.tp);
    }
  }
};

TEST_F(TensorParallelLayerTest, ColumnParallelLinearMatchesUnsplit) {
  for_each_case([](const Case& c, const std::shared_ptr<Communicator>& tp) {
    LinearReference ref(c.dtype);
    double tol = tolerance(c.dtype);
    for (bool gather : {false, true}) {
      ColumnParallelLinear layer(linear_options(c.dtype).gather_output(gather), tp);
      layer->load_full_weight(ref.weight.detach());
      layer->load_full_bias(ref.bias.detach());
      torch::Tensor x = ref.x.detach().clone().requires_grad_();
      torch::Tensor y = layer->forward(x);
      EXPECT_TRUE(tensors_near(y, gather ? ref.y : tp_slice(ref.y, -1, *tp), tol));
      y.backward(gather ? ref.grad_y : tp_slice(ref.grad_y, -1, *tp));
      EXPECT_TRUE(tensors_near(x.grad(), ref.grad_x, tol));
      EXPECT_TRUE(tensors_near(layer->weight().grad(), tp_slice(ref.grad_weight, 0, *tp), tol));
      EXPECT_TRUE(tensors_near(layer->bias().grad(), tp_slice(ref.grad_bias, 0, *tp), tol));
    }
  });
}

TEST_F(TensorParallelLayerTest, RowParallelLinearMatchesUnsplit) {
  for_each_case([](const Case& c, const std::shared_ptr<Communicator>& tp) {
    LinearReference ref(c.dtype);
    double tol = tolerance(c.dtype);
    for (bool input_is_parallel : {true, false}) {
      RowParallelLinear layer(linear_options(c.dtype).input_is_parallel(input_is_parallel), tp);
      layer->load_full_weight(ref.weight.detach());
      layer->load_full_bias(ref.bias.detach());
      torch::Tensor x = (input_is_parallel ? tp_slice(ref.x.detach(), -1, *tp) : ref.x.detach().clone());
      x.requires_grad_();
      torch::Tensor y = layer->forward(x);
      EXPECT_TRUE(tensors_near(y, ref.y, tol));
      y.backward(ref.grad_y);
      EXPECT_TRUE(tensors_near(x.grad(), input_is_parallel ? tp_slice(ref.grad_x, -1, *tp) : ref.grad_x, tol));
      EXPECT_TRUE(tensors_near(layer->weight().grad(), tp_slice(ref.grad_weight, 1, *tp), tol));
      EXPECT_TRUE(tensors_near(layer->bias().grad(), ref.grad_bias, tol));
    }
  });
}

// The Megatron MLP pairing: column-parallel (no gather) into row-parallel, one all-reduce in each direction.
TEST_F(TensorParallelLayerTest, ColumnThenRowMatchesTwoUnsplitLinears) {
  for_each_case([](const Case& c, const std::shared_ptr<Communicator>& tp) {
    LinearReference up(c.dtype);
    torch::manual_seed(11);
    auto opts = torch::TensorOptions().dtype(c.dtype);
    torch::Tensor down_weight = torch::randn({kIn, kOut}, opts).requires_grad_();
    torch::Tensor x_ref = up.x.detach().clone().requires_grad_();
    torch::Tensor hidden = torch::tanh(F::linear(x_ref, up.weight.detach(), up.bias.detach()));
    torch::Tensor y_ref = F::linear(hidden, down_weight);
    y_ref.sum().backward();

    ColumnParallelLinear column(linear_options(c.dtype), tp);
    RowParallelLinear row(ParallelLinearOptions(kOut, kIn).bias(false).dtype(c.dtype), tp);
    column->load_full_weight(up.weight.detach());
    column->load_full_bias(up.bias.detach());
    row->load_full_weight(down_weight.detach());
    torch::Tensor x = up.x.detach().clone().requires_grad_();
    torch::Tensor y = row->forward(torch::tanh(column->forward(x)));
    y.sum().backward();

    double tol = tolerance(c.dtype);
    EXPECT_TRUE(tensors_near(y, y_ref, tol));
    EXPECT_TRUE(tensors_near(x.grad(), x_ref.grad(), tol));
    EXPECT_TRUE(tensors_near(row->weight().grad(), tp_slice(down_weight.grad(), 1, *tp), tol));
  });
}

TEST_F(TensorParallelLayerTest, VocabParallelEmbeddingMatchesUnsplit) {
  for_each_case([](const Case& c, const std::shared_ptr<Communicator>& tp) {
    constexpr int64_t kVocab = 32, kDim = 6;
    torch::manual_seed(3);
    torch::Tensor table = torch::randn({kVocab, kDim}, torch::TensorOptions().dtype(c.dtype)).requires_grad_();
    // Every id, some repeated, so each rank masks most of them.
    torch::Tensor ids = torch::cat({torch::arange(kVocab), torch::randint(kVocab, {16})}).view({4, 12});
    torch::Tensor grad_out = torch::randn({4, 12, kDim}, table.options());
    torch::Tensor ref = F::embedding(ids, table);
    ref.backward(grad_out);

    VocabParallelEmbedding layer(VocabParallelEmbeddingOptions(kVocab, kDim).dtype(c.dtype), tp);
    layer->load_full_weight(table.detach());
    EXPECT_EQ(layer->vocab_end() - layer->vocab_start(), kVocab / c.tp);
    torch::Tensor out = layer->forward(ids);
    out.backward(grad_out);
    double tol = tolerance(c.dtype);
    EXPECT_TRUE(tensors_near(out, ref, tol));
    EXPECT_TRUE(tensors_near(layer->weight().grad(), tp_slice(table.grad(), 0, *tp), tol));
  });
}

TEST_F(TensorParallelLayerTest, ShapesThatDoNotSplitAreRejectedWithTheirFactors) {
  for_each_case([](const Case& c, const std::shared_ptr<Communicator>& tp) {
    try {
      ColumnParallelLinear layer(ParallelLinearOptions(kIn, 2 * c.tp + 1).dtype(c.dtype), tp);
      FAIL() << "out_features not divisible by tp was accepted";
    } catch (const std::invalid_argument& e) {
      std::string expected = "out_features(" + std::to_string(2 * c.tp + 1) + ") is not divisible by tp(" +
                             std::to_string(c.tp) + ")";
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << e.what();
    }
    ColumnParallelLinear layer(linear_options(c.dtype), tp);
    EXPECT_THROW(layer->load_full_weight(torch::zeros({kIn, kOut}, torch::TensorOptions().dtype(c.dtype))),
                 std::invalid_argument);
  });
}

TEST_F(TensorParallelLayerTest, ShardedParametersAreFound) {
  for_each_case([](const Case& c, const std::shared_ptr<Communicator>& tp) {
    torch::nn::Sequential model(ColumnParallelLinear(linear_options(c.dtype), tp),
                                RowParallelLinear(ParallelLinearOptions(kOut, kIn).dtype(c.dtype), tp));
    // Column weight + bias and row weight are split; the row bias is replicated.
    EXPECT_EQ(tensor_parallel_parameters(*model).size(), 3u);
    EXPECT_EQ(model->parameters().size(), 4u);
  });
}

}  // namespace
}  // namespace delrec::parallel
