#include "core/teacher/fast_dropout.h"

#include <cmath>

namespace delrec::teacher {

torch::Tensor fast_dropout(const torch::Tensor& x, double p, bool training) {
  const int64_t threshold = std::lround(p * 256.0);
  if (!training || threshold <= 0) return x;
  if (threshold >= 256) return torch::zeros_like(x);
  const int64_t n = x.numel();
  // random_() on int64 fills [0, 2^63): the 7 low-order bytes of each word are uniform, the top one is not.
  auto words = torch::empty({(n + 6) / 7}, x.options().dtype(torch::kLong)).random_();
  auto bytes = words.view(torch::kByte).view({-1, 8}).slice(1, 0, 7).reshape({-1}).slice(0, 0, n).view(x.sizes());
  const double keep = 1.0 - static_cast<double>(threshold) / 256.0;
  return x * bytes.ge(threshold).to(x.scalar_type()).mul_(1.0 / keep);
}

}  // namespace delrec::teacher
