#include "core/delrec/examples.h"

#include <algorithm>

#include "core/data/candidates.h"
#include "core/util/error.h"
#include "core/util/random.h"

namespace delrec::examples {
namespace {

// Salts that keep the shown orders of different example kinds independent.
constexpr uint64_t kTemporalSalt = 1, kCachedSalt = 2, kValidSalt = 3, kTestSalt = 4, kTemporalNegatives = 5;

std::vector<int64_t> sorted_unique(std::vector<int64_t> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

}  // namespace

std::vector<int64_t> shuffle_candidates(const std::vector<int64_t>& row, uint64_t seed, int64_t user,
                                        int64_t position, uint64_t salt, std::vector<int64_t>* where) {
  // Fisher-Yates over column indices with the portable PRNG.
  std::vector<int64_t> order(row.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  Rng rng(mix_seed(mix_seed(seed, salt), static_cast<uint64_t>(user), static_cast<uint64_t>(position)));
  for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.uniform(i)]);
  std::vector<int64_t> shown(row.size());
  if (where) where->assign(row.size(), 0);
  for (size_t i = 0; i < order.size(); ++i) {
    shown[i] = row[order[i]];
    if (where) (*where)[order[i]] = static_cast<int64_t>(i);
  }
  return shown;
}

std::vector<Example> temporal_examples(const data::Dataset& dataset, int64_t per_user, int64_t num_candidates,
                                       uint64_t seed) {
  std::vector<Example> out;
  std::vector<uint8_t> scratch;
  for (int64_t u = 0; u < dataset.num_users(); ++u) {
    const auto train = dataset.train_sequence(u);
    const auto seen = sorted_unique(dataset.sequences[u]);
    const int64_t m = static_cast<int64_t>(train.size());
    const int64_t first = per_user < 0 ? 2 : std::max<int64_t>(2, m - per_user);
    for (int64_t t = first; t < m; ++t) {
      Example e;
      e.user = u;
      e.position = t;
      e.history.assign(train.begin(), train.begin() + (t - 1));
      e.next_item = train[t];
      const auto row = data::sample_candidates(train[t - 1], seen, dataset.num_items(), num_candidates,
                                               mix_seed(mix_seed(seed, kTemporalNegatives), static_cast<uint64_t>(u), static_cast<uint64_t>(t)),
                                               scratch);
      std::vector<int64_t> where;
      e.candidates = shuffle_candidates(row, seed, u, t, kTemporalSalt, &where);
      e.label = where[0];
      out.push_back(std::move(e));
    }
  }
  return out;
}

std::vector<Example> cached_examples(const teacher::CacheBatch& cache, const data::Dataset& dataset, Answer answer,
                                     uint64_t seed) {
  const int64_t n = cache.user.size(0), C = cache.candidates.size(1);
  auto users = cache.user.accessor<int64_t, 1>();
  auto positions = cache.position.accessor<int64_t, 1>();
  auto kinds = cache.kind.accessor<int8_t, 1>();
  auto candidates = cache.candidates.accessor<int64_t, 2>();
  auto scores = cache.candidate_scores.accessor<float, 2>();
  std::vector<Example> out;
  for (int64_t i = 0; i < n; ++i) {
    if (kinds[i] != static_cast<int8_t>(teacher::ExampleKind::kTrain)) continue;
    Example e;
    e.user = users[i];
    e.position = positions[i];
    DELREC_CHECK(e.user >= 0 && e.user < dataset.num_users() &&
                     e.position >= 1 && e.position < static_cast<int64_t>(dataset.sequences[e.user].size()),
                 "teacher cache example {} (user {}, position {}) does not belong to dataset '{}'; rebuild the cache "
                 "with `delrec teacher cache RECIPE`", i, e.user, e.position, dataset.name);
    const auto& seq = dataset.sequences[e.user];
    e.history.assign(seq.begin(), seq.begin() + e.position);
    std::vector<int64_t> row(C);
    for (int64_t j = 0; j < C; ++j) row[j] = candidates[i][j];
    std::vector<int64_t> where;
    e.candidates = shuffle_candidates(row, seed, e.user, e.position, kCachedSalt, &where);
    if (answer == Answer::kTrueItem) {
      e.label = where[0];
    } else {
      e.teacher_scores.assign(C, 0.f);
      int64_t best = 0;
      for (int64_t j = 0; j < C; ++j) {
        e.teacher_scores[where[j]] = scores[i][j];
        if (scores[i][j] > scores[i][best]) best = j;  // first best column wins ties
      }
      e.label = where[best];
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::vector<Example> split_examples(const data::Dataset& dataset, Split split, int64_t max_users, uint64_t seed) {
  const int64_t users = max_users > 0 ? std::min(max_users, dataset.num_users()) : dataset.num_users();
  std::vector<Example> out;
  for (int64_t u = 0; u < users; ++u) {
    Example e;
    e.user = u;
    const bool test = split == Split::kTest;
    e.history = test ? dataset.test_history(u) : dataset.valid_history(u);
    e.position = static_cast<int64_t>(e.history.size());
    std::vector<int64_t> where;
    e.candidates = shuffle_candidates(test ? dataset.test_candidates[u] : dataset.valid_candidates[u], seed, u,
                                      e.position, test ? kTestSalt : kValidSalt, &where);
    e.label = where[0];
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace delrec::examples
