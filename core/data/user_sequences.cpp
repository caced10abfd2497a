#include "core/data/user_sequences.h"

#include <algorithm>

namespace delrec::data {

UserEvents group_by_user(const RawData& raw) {
  // Counting sort by user keeps file order within a user; the stable sort then orders by time only.
  std::vector<size_t> counts(raw.users.size(), 0);
  for (const auto& r : raw.interactions) ++counts[r.user];
  UserEvents users(raw.users.size());
  for (size_t u = 0; u < users.size(); ++u) users[u].reserve(counts[u]);
  for (const auto& r : raw.interactions) users[r.user].push_back({r.item, r.rating, r.timestamp});
  for (auto& events : users)
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.timestamp < b.timestamp; });
  return users;
}

void drop_low_ratings(UserEvents& users, double min_rating) {
  if (min_rating <= 0) return;
  for (auto& events : users)
    events.erase(std::remove_if(events.begin(), events.end(), [&](const Event& e) { return e.rating < min_rating; }),
                 events.end());
}

void kcore_filter(UserEvents& users, int64_t k, size_t num_items) {
  if (k <= 0) return;
  const size_t min_count = static_cast<size_t>(k);
  for (bool changed = true; changed;) {
    changed = false;
    std::vector<size_t> item_count(num_items, 0);
    for (const auto& events : users)
      for (const auto& e : events) ++item_count[e.item];
    for (auto& events : users) {
      size_t before = events.size();
      if (before < min_count) {
        events.clear();
      } else {
        events.erase(std::remove_if(events.begin(), events.end(),
                                    [&](const Event& e) { return item_count[e.item] < min_count; }),
                     events.end());
        // A user that fell below k is removed in the next round, which also recounts the items.
      }
      changed |= events.size() != before;
    }
  }
}

void keep_most_recent(UserEvents& users, int64_t max_history) {
  if (max_history <= 0) return;
  for (auto& events : users)
    if (events.size() > static_cast<size_t>(max_history)) events.erase(events.begin(), events.end() - max_history);
}

void drop_short_histories(UserEvents& users, int64_t min_history) {
  for (auto& events : users)
    if (events.size() < static_cast<size_t>(std::max<int64_t>(min_history, 0))) events.clear();
}

}  // namespace delrec::data
