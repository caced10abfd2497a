#include "core/data/dataset_stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace delrec::data {
namespace {

// Nearest-rank percentile of sorted values: the smallest value with at least p% of the values at or below it.
int64_t percentile(const std::vector<int64_t>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * sorted.size()));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

}  // namespace

DatasetStats compute_stats(const Dataset& d) {
  DatasetStats s;
  s.users = d.num_users();
  s.items = d.num_items();
  std::vector<int64_t> lengths;
  lengths.reserve(d.sequences.size());
  for (const auto& seq : d.sequences) lengths.push_back(static_cast<int64_t>(seq.size()));
  std::sort(lengths.begin(), lengths.end());
  for (int64_t n : lengths) s.interactions += n;
  s.length_p50 = percentile(lengths, 50);
  s.length_p90 = percentile(lengths, 90);
  s.length_p99 = percentile(lengths, 99);
  s.length_max = lengths.empty() ? 0 : lengths.back();
  if (s.users > 0 && s.items > 0) s.density = static_cast<double>(s.interactions) / (double(s.users) * s.items);
  return s;
}

std::string format_stats(const Dataset& d, const DatasetStats& s) {
  const size_t candidates = d.test_candidates.empty() ? 0 : d.test_candidates[0].size();
  return fmt::format(
      "dataset:        {}\n"
      "users:          {}\n"
      "items:          {}\n"
      "interactions:   {}\n"
      "sequence length: p50 {}, p90 {}, p99 {}, max {}\n"
      "density:        {:.6f}\n"
      "candidates:     {} per validation/test example\n"
      "fingerprint:    {}\n",
      d.name, s.users, s.items, s.interactions, s.length_p50, s.length_p90, s.length_p99, s.length_max, s.density,
      candidates, d.fingerprint);
}

}  // namespace delrec::data
