#include "core/data/candidates.h"

#include "core/util/error.h"
#include "core/util/random.h"

namespace delrec::data {

std::vector<int64_t> sample_candidates(int64_t target, const std::vector<int64_t>& interacted, int64_t num_items,
                                       int64_t num_candidates, uint64_t seed, std::vector<uint8_t>& scratch) {
  const int64_t needed = num_candidates - 1;
  const int64_t available = num_items - static_cast<int64_t>(interacted.size());
  DELREC_CHECK(available >= needed, "only {} items are left to sample {} negatives from", available, needed);
  Rng rng(seed);
  std::vector<int64_t> row{target};
  row.reserve(num_candidates);
  if (2 * available >= num_items) {
    // Most items are eligible: draw from the whole catalogue and reject interacted or repeated ones (< 2 draws per
    // accepted item on average). scratch marks blocked ids and is cleared again before returning.
    scratch.resize(num_items + 1, 0);
    for (int64_t id : interacted) scratch[id] = 1;
    while (static_cast<int64_t>(row.size()) < num_candidates) {
      int64_t id = 1 + static_cast<int64_t>(rng.uniform(num_items));
      if (scratch[id]) continue;
      scratch[id] = 1;
      row.push_back(id);
    }
    for (int64_t id : interacted) scratch[id] = 0;
    for (size_t j = 1; j < row.size(); ++j) scratch[row[j]] = 0;
  } else {
    // The user has seen most of the catalogue: list the eligible items and take a partial Fisher-Yates sample.
    std::vector<int64_t> eligible;
    eligible.reserve(available);
    auto next_seen = interacted.begin();
    for (int64_t id = 1; id <= num_items; ++id) {
      if (next_seen != interacted.end() && *next_seen == id) {
        ++next_seen;
        continue;
      }
      eligible.push_back(id);
    }
    for (int64_t j = 0; j < needed; ++j) {
      int64_t pick = j + static_cast<int64_t>(rng.uniform(eligible.size() - j));
      std::swap(eligible[j], eligible[pick]);
      row.push_back(eligible[j]);
    }
  }
  return row;
}

void build_candidates(Dataset& d, const std::vector<std::vector<int64_t>>& interacted, int64_t num_candidates,
                      int64_t seed) {
  constexpr uint64_t kValidStream = 1, kTestStream = 2;
  const int64_t num_users = d.num_users();
  d.valid_candidates.assign(num_users, {});
  d.test_candidates.assign(num_users, {});
  std::vector<uint8_t> scratch;
  for (int64_t u = 0; u < num_users; ++u) {
    try {
      d.valid_candidates[u] = sample_candidates(d.valid_target(u), interacted[u], d.num_items(), num_candidates,
                                                mix_seed(seed, u, kValidStream), scratch);
      d.test_candidates[u] = sample_candidates(d.test_target(u), interacted[u], d.num_items(), num_candidates,
                                               mix_seed(seed, u, kTestStream), scratch);
    } catch (const Error& e) {
      throw Error(
          fmt::format("cannot build {} candidates for user '{}' ({} of the {} items seen): {}; lower "
                      "data.num_candidates",
                      num_candidates, d.user_keys[u], interacted[u].size(), d.num_items(), e.what()));
    }
  }
}

}  // namespace delrec::data
