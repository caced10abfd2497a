#pragma once
// The processing steps between raw interactions and a prepared dataset, on per-user event lists indexed by raw user
// index. A dropped user keeps an empty list, so indices stay valid. prepare.cpp applies them in this order:
// group_by_user, drop_low_ratings, kcore_filter, keep_most_recent, drop_short_histories.
#include <cstdint>
#include <vector>

#include "core/data/raw_data.h"

namespace delrec::data {

struct Event {
  int32_t item;  // raw item index
  float rating;
  int64_t timestamp;
};

using UserEvents = std::vector<std::vector<Event>>;  // [num raw users][n_u]

// Each user's events in chronological order; events with equal timestamps keep their file order (stable).
UserEvents group_by_user(const RawData& raw);

// Removes events rated below `min_rating` (no-op for min_rating <= 0).
void drop_low_ratings(UserEvents& users, double min_rating);

// Iterative k-core: repeatedly removes users with fewer than k events and items with fewer than k events until
// every remaining user and item has at least k (no-op for k <= 0). Counts are events, so a repeated
// item counts once per occurrence.
void kcore_filter(UserEvents& users, int64_t k, size_t num_items);

// Keeps only the most recent `max_history` events of each user (no-op for max_history <= 0).
void keep_most_recent(UserEvents& users, int64_t max_history);

// Empties the lists of users with fewer than `min_history` events.
void drop_short_histories(UserEvents& users, int64_t min_history);

}  // namespace delrec::data
