#include "core/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "core/util/error.h"

namespace delrec::train {

Decay parse_decay(const std::string& name) {
  if (name == "constant") return Decay::kConstant;
  if (name == "linear") return Decay::kLinear;
  if (name == "cosine") return Decay::kCosine;
  throw Error(fmt::format("unknown learning-rate decay '{}' (use constant, linear or cosine)", name));
}

double LrSchedule::at(int64_t step) const {
  // Warm-up reaches the peak at the end of step warmup_steps - 1, so the first step does not use lr = 0.
  if (step < warmup_steps) return peak * static_cast<double>(step + 1) / static_cast<double>(warmup_steps);
  if (decay == Decay::kConstant) return peak;
  const double span = static_cast<double>(std::max<int64_t>(1, total_steps - warmup_steps));
  const double progress = std::min(1.0, static_cast<double>(step - warmup_steps) / span);
  const double floor = min_ratio * peak;
  if (decay == Decay::kLinear) return floor + (peak - floor) * (1.0 - progress);
  return floor + (peak - floor) * 0.5 * (1.0 + std::cos(M_PI * progress));
}

}  // namespace delrec::train
