#include "core/llm/rope.h"

#include <gtest/gtest.h>

#include <cmath>

namespace delrec::llm {
namespace {

ModelConfig config_with(const std::string& type) {
  ModelConfig c;
  c.head_dim = 64;
  c.rope_theta = 500000.0;
  c.rope_scaling.type = type;
  c.rope_scaling.factor = 8.0;
  c.rope_scaling.low_freq_factor = 1.0;
  c.rope_scaling.high_freq_factor = 4.0;
  c.rope_scaling.original_max_position = 8192;
  return c;
}

TEST(Rope, PlainFrequenciesAreThetaPowers) {
  torch::Tensor f = rope_inv_freq(config_with("default"), 16);
  ASSERT_EQ(f.size(0), 32);
  EXPECT_NEAR(f[0].item<double>(), 1.0, 1e-7);
  EXPECT_NEAR(f[1].item<double>(), std::pow(500000.0, -2.0 / 64), 1e-7);
}

TEST(Rope, LinearDividesEveryFrequency) {
  EXPECT_TRUE(torch::allclose(rope_inv_freq(config_with("linear"), 16), rope_inv_freq(config_with("default"), 16) / 8));
}

TEST(Rope, Llama3KeepsShortAndDividesLongWavelengths) {
  torch::Tensor plain = rope_inv_freq(config_with("default"), 16);
  torch::Tensor scaled = rope_inv_freq(config_with("llama3"), 16);
  for (int64_t i = 0; i < 32; ++i) {
    const double f = plain[i].item<double>(), wavelen = 2 * M_PI / f;
    if (wavelen < 8192 / 4.0) {
      EXPECT_FLOAT_EQ(scaled[i].item<float>(), f);  // high frequency: kept
    }
    if (wavelen > 8192 / 1.0) {
      EXPECT_FLOAT_EQ(scaled[i].item<float>(), f / 8);  // low frequency: divided
    }
    if (wavelen >= 8192 / 4.0 && wavelen <= 8192) {  // between: smooth blend of the two
      const double smooth = (8192 / wavelen - 1) / (4 - 1);
      EXPECT_NEAR(scaled[i].item<double>(), (1 - smooth) * f / 8 + smooth * f, 1e-6 * f);
    }
  }
}

TEST(Rope, RotationPreservesNormAndPositionZeroIsIdentity) {
  ModelConfig c = config_with("default");
  c.head_dim = 8;
  auto [cos, sin] = rope_tables(c, 5, torch::kFloat32, torch::kCPU);
  torch::Tensor x = torch::randn({1, 2, 5, 8});
  torch::Tensor y = apply_rope(x, cos, sin);
  EXPECT_TRUE(torch::allclose(y.norm(2, -1), x.norm(2, -1), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(y.select(2, 0), x.select(2, 0)));
}

}  // namespace
}  // namespace delrec::llm
