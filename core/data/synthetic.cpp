#include "core/data/synthetic.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/util/error.h"
#include "core/util/random.h"

namespace delrec::data {
namespace {

constexpr const char* kAdjectives[] = {"Silent",   "Crimson", "Hidden", "Golden", "Broken",  "Distant", "Electric",
                                       "Frozen",   "Wild",    "Last",   "Secret", "Burning", "Lonely",  "Iron",
                                       "Midnight", "Velvet",  "Hollow", "Bright", "Savage",  "Quiet"};
constexpr const char* kNouns[] = {"Harbor", "Garden", "Empire", "River",   "Machine", "Kingdom", "Letter",
                                  "Voyage", "Mirror", "Island", "Circus",  "Witness", "Summer",  "Frontier",
                                  "Orchid", "Engine", "Canyon", "Lantern", "Signal",  "Citadel"};
constexpr int64_t kNumAdjectives = sizeof(kAdjectives) / sizeof(kAdjectives[0]);
constexpr int64_t kNumNouns = sizeof(kNouns) / sizeof(kNouns[0]);
constexpr int64_t kStartTime = 1000000000;  // 2001-09-09, an arbitrary fixed epoch

// A distinct, readable title per item index: "The Hidden Voyage (1987)", then "... Part 2" once the word pairs
// run out.
std::string title_of(int64_t index) {
  const int64_t pairs = kNumAdjectives * kNumNouns;
  const int64_t pair = index % pairs;
  std::string title = fmt::format("The {} {} ({})", kAdjectives[pair % kNumAdjectives], kNouns[pair / kNumAdjectives],
                                  1950 + (index * 7) % 70);
  if (index >= pairs) title += fmt::format(" Part {}", index / pairs + 1);
  return title;
}

}  // namespace

RawData generate_synthetic(const config::SyntheticConfig& config, int64_t seed) {
  DELREC_CHECK(config.min_length <= config.max_length,
               "data.synthetic.min_length ({}) must not exceed data.synthetic.max_length ({})", config.min_length,
               config.max_length);
  const int64_t num_items = config.items;
  Rng rng(mix_seed(static_cast<uint64_t>(seed), 0x5e9a11));

  // Planted pattern: a random cycle through all items.
  std::vector<int64_t> order(num_items);
  for (int64_t i = 0; i < num_items; ++i) order[i] = i;
  for (int64_t i = num_items - 1; i > 0; --i) std::swap(order[i], order[rng.uniform(i + 1)]);
  std::vector<int64_t> successor(num_items);
  for (int64_t i = 0; i < num_items; ++i) successor[order[i]] = order[(i + 1) % num_items];

  // Popularity: item order[r] has weight 1 / (r + 1)^0.8; sample by inverting the cumulative sum.
  std::vector<double> cumulative(num_items);
  double total = 0;
  for (int64_t r = 0; r < num_items; ++r) cumulative[r] = total += 1.0 / std::pow(r + 1.0, 0.8);
  auto popular_item = [&] {
    double u = rng.uniform_double() * total;
    int64_t r = std::upper_bound(cumulative.begin(), cumulative.end(), u) - cumulative.begin();
    return order[std::min(r, num_items - 1)];
  };

  RawData raw;
  for (int64_t i = 0; i < num_items; ++i) raw.titles[std::to_string(i + 1)] = title_of(i);
  for (int64_t u = 0; u < config.users; ++u) {
    const std::string user = std::to_string(u + 1);
    const int64_t length = config.min_length + rng.uniform(config.max_length - config.min_length + 1);
    int64_t item = popular_item();
    for (int64_t t = 0; t < length; ++t) {
      raw.add(user, std::to_string(item + 1), 1.0, kStartTime + 60 * t);
      item = rng.uniform_double() < config.pattern_strength ? successor[item] : popular_item();
    }
  }
  return raw;
}

}  // namespace delrec::data
