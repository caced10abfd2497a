// Each TP mapping's forward and backward against values computed by hand: rank r contributes tensors filled with
// r + 1, so sums over the group are tp (tp + 1) / 2.
#include "parallel/mappings.h"

#include <gtest/gtest.h>

#include "tests/parallel/parallel_test_support.h"

namespace delrec::parallel {
namespace {

class MappingTest : public ::testing::Test {
 protected:
  void for_each_tp(const std::function<void(const std::shared_ptr<Communicator>&, double rank_value,
                                            double group_sum)>& body) {
    for (int tp : test::tp_sizes()) {
      SCOPED_TRACE("tp " + std::to_string(tp));
      ParallelGroups groups = make_parallel_groups(test::test_world(), tp);
      body(groups.tp, groups.tp->rank() + 1.0, tp * (tp + 1) / 2.0);
    }
  }
};

TEST_F(MappingTest, CopyIsIdentityForwardAndAllReduceBackward) {
  for_each_tp([](const std::shared_ptr<Communicator>& tp, double mine, double sum) {
    torch::Tensor x = torch::ones({2, 3}, torch::kDouble).requires_grad_();
    torch::Tensor y = copy_to_tp_region(x, tp);
    EXPECT_TRUE(torch::equal(y, torch::ones({2, 3}, torch::kDouble)));
    y.backward(torch::full({2, 3}, mine, torch::kDouble));
    EXPECT_TRUE(torch::equal(x.grad(), torch::full({2, 3}, sum, torch::kDouble)));
  });
}

TEST_F(MappingTest, ReduceIsAllReduceForwardAndIdentityBackward) {
  for_each_tp([](const std::shared_ptr<Communicator>& tp, double mine, double sum) {
    torch::Tensor x = torch::full({2, 3}, mine, torch::kDouble).requires_grad_();
    torch::Tensor y = reduce_from_tp_region(x, tp);
    EXPECT_TRUE(torch::equal(y, torch::full({2, 3}, sum, torch::kDouble)));
    EXPECT_TRUE(torch::equal(x, torch::full({2, 3}, mine, torch::kDouble))) << "the input was modified";
    y.backward(torch::full({2, 3}, mine, torch::kDouble));
    EXPECT_TRUE(torch::equal(x.grad(), torch::full({2, 3}, mine, torch::kDouble)));
  });
}

TEST_F(MappingTest, GatherConcatenatesLastDimAndSplitsItBackward) {
  for_each_tp([](const std::shared_ptr<Communicator>& tp, double mine, double) {
    torch::Tensor x = torch::full({2, 3}, mine, torch::kDouble).requires_grad_();
    torch::Tensor y = gather_from_tp_region(x, tp);
    ASSERT_EQ(y.sizes(), (std::vector<int64_t>{2, 3 * tp->size()}));
    for (int r = 0; r < tp->size(); ++r)
      EXPECT_TRUE(torch::equal(y.narrow(1, 3 * r, 3), torch::full({2, 3}, r + 1.0, torch::kDouble)));
    torch::Tensor grad = torch::arange(2 * 3 * tp->size()).view({2, -1}).to(torch::kDouble);
    y.backward(grad);
    EXPECT_TRUE(torch::equal(x.grad(), grad.narrow(1, 3 * tp->rank(), 3)));
  });
}

TEST_F(MappingTest, ScatterSplitsLastDimAndGathersBackward) {
  for_each_tp([](const std::shared_ptr<Communicator>& tp, double mine, double) {
    torch::Tensor x = torch::arange(2 * 3 * tp->size()).view({2, -1}).to(torch::kDouble).requires_grad_();
    torch::Tensor y = scatter_to_tp_region(x, tp);
    EXPECT_TRUE(torch::equal(y, x.detach().narrow(1, 3 * tp->rank(), 3)));
    y.backward(torch::full({2, 3}, mine, torch::kDouble));
    for (int r = 0; r < tp->size(); ++r)
      EXPECT_TRUE(torch::equal(x.grad().narrow(1, 3 * r, 3), torch::full({2, 3}, r + 1.0, torch::kDouble)));
  });
}

}  // namespace
}  // namespace delrec::parallel
