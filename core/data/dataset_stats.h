#pragma once
// Summary numbers of a prepared dataset, as printed by `delrec data stats`.
#include <cstdint>
#include <string>

#include "core/data/dataset.h"

namespace delrec::data {

struct DatasetStats {
  int64_t users = 0;
  int64_t items = 0;
  int64_t interactions = 0;
  int64_t length_p50 = 0;  // sequence-length percentiles over users (nearest-rank method)
  int64_t length_p90 = 0;
  int64_t length_p99 = 0;
  int64_t length_max = 0;
  double density = 0;  // interactions / (users * items)
};

DatasetStats compute_stats(const Dataset& dataset);

// Human-readable block, one "key: value" per line (name, fingerprint and candidates per example included).
std::string format_stats(const Dataset& dataset, const DatasetStats& stats);

}  // namespace delrec::data
