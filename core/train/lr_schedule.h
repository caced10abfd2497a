#pragma once
// Learning-rate schedule: linear warm-up from 0 to the peak over `warmup_steps`, then linear or cosine decay to
// `min_ratio * peak` at `total_steps` (constant afterwards). Step numbers count optimizer steps from 0.
#include <cstdint>
#include <string>

namespace delrec::train {

enum class Decay { kConstant, kLinear, kCosine };

// "constant", "linear" or "cosine"; anything else is a delrec::Error listing these.
Decay parse_decay(const std::string& name);

struct LrSchedule {
  double peak = 1e-3;
  int64_t warmup_steps = 0;
  int64_t total_steps = 1;
  Decay decay = Decay::kCosine;
  double min_ratio = 0.0;

  // Learning rate used for optimizer step `step` (0-based).
  double at(int64_t step) const;
};

}  // namespace delrec::train
