#pragma once
// A small dataset with a planted sequential pattern for teacher tests: item i is followed by i % N + 1 with
// probability `strength`, otherwise by a random item. A sequential model learns the successor; popularity cannot.
#include <algorithm>
#include <random>

#include "core/data/dataset.h"

namespace delrec::test {

inline data::Dataset planted_dataset(int64_t users = 150, int64_t items = 60, double strength = 0.9,
                                     int64_t num_candidates = 20, uint64_t seed = 5) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](int64_t n) { return static_cast<int64_t>(rng() % uint64_t(n)); };
  data::Dataset d;
  d.name = "planted";
  d.fingerprint = "planted-" + std::to_string(seed);
  d.item_keys.push_back("");
  d.item_titles.push_back("");
  for (int64_t i = 1; i <= items; ++i) {
    d.item_keys.push_back(std::to_string(i));
    d.item_titles.push_back("item " + std::to_string(i));
  }
  for (int64_t u = 0; u < users; ++u) {
    d.user_keys.push_back(std::to_string(u));
    std::vector<int64_t> seq{1 + uniform(items)};
    const int64_t n = 12 + uniform(14);
    while (int64_t(seq.size()) < n) {
      int64_t next = uniform(1000) < strength * 1000 ? seq.back() % items + 1 : 1 + uniform(items);
      while (std::find(seq.begin(), seq.end(), next) != seq.end()) next = 1 + uniform(items);
      seq.push_back(next);
    }
    std::vector<int64_t> ts(seq.size());
    for (size_t t = 0; t < ts.size(); ++t) ts[t] = int64_t(t);
    auto candidates = [&](int64_t target) {
      std::vector<int64_t> row{target};
      while (int64_t(row.size()) < num_candidates) {
        const int64_t item = 1 + uniform(items);
        if (std::find(seq.begin(), seq.end(), item) == seq.end() &&
            std::find(row.begin(), row.end(), item) == row.end())
          row.push_back(item);
      }
      return row;
    };
    d.valid_candidates.push_back(candidates(seq[seq.size() - 2]));
    d.test_candidates.push_back(candidates(seq.back()));
    d.sequences.push_back(std::move(seq));
    d.timestamps.push_back(std::move(ts));
  }
  return d;
}

}  // namespace delrec::test
