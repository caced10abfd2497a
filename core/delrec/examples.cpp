#include "core/delrec/examples.h"

#include <algorithm>

#include "core/data/candidates.h"
#include "core/util/error.h"
#include "core/util/random.h"

namespace delrec::examples {
namespace {

// Salts that keep the shown orders of different example kinds independent.
constexpr uint64_t kTemporalSalt = 1, kCachedSalt = 2, kValidSalt = 3, kTestSalt = 4, kTemporalNegatives = 5,
                   kTeacherTopkSalt = 6;

std::vector<int64_t> sorted_unique(std::vector<int64_t> items) {
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

// The cache's training examples in cache order: (row i, an example with its user, position and history s[0..t-1]).
std::vector<std::pair<int64_t, Example>> training_prefixes(const teacher::CacheBatch& cache,
                                                           const data::Dataset& dataset) {
  auto users = cache.user.accessor<int64_t, 1>();
  auto positions = cache.position.accessor<int64_t, 1>();
  auto kinds = cache.kind.accessor<int8_t, 1>();
  std::vector<std::pair<int64_t, Example>> out;
  for (int64_t i = 0; i < cache.user.size(0); ++i) {
    if (kinds[i] != static_cast<int8_t>(teacher::ExampleKind::kTrain)) continue;
    out.emplace_back(i, training_example(dataset, users[i], positions[i], i));
  }
  return out;
}

}  // namespace

Example training_example(const data::Dataset& dataset, int64_t user, int64_t position, int64_t cache_row) {
  DELREC_CHECK(user >= 0 && user < dataset.num_users() && position >= 1 &&
                   position < static_cast<int64_t>(dataset.sequences[user].size()),
               "teacher cache example {} (user {}, position {}) does not belong to dataset '{}'; rebuild the cache "
               "with `delrec teacher cache RECIPE`", cache_row, user, position, dataset.name);
  Example e;
  e.user = user;
  e.position = position;
  e.cache_row = cache_row;
  const auto& seq = dataset.sequences[user];
  e.history.assign(seq.begin(), seq.begin() + position);
  return e;
}

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
                                       int64_t demonstration_items, uint64_t seed) {
  DELREC_CHECK(demonstration_items == 0 || demonstration_items >= 3,
               "stage1.ta.demonstration_items is {}: a demonstration needs at least 3 items (shown, hidden, next); "
               "use 0 for none", demonstration_items);
  std::vector<Example> out;
  std::vector<uint8_t> scratch;
  const int64_t d = demonstration_items;
  for (int64_t u = 0; u < dataset.num_users(); ++u) {
    const auto train = dataset.train_sequence(u);
    const auto seen = sorted_unique(dataset.sequences[u]);
    const int64_t m = static_cast<int64_t>(train.size());
    const int64_t earliest = std::max<int64_t>(2, d + 1);
    const int64_t first = per_user < 0 ? earliest : std::max<int64_t>(earliest, m - per_user);
    for (int64_t t = first; t < m; ++t) {
      Example e;
      e.user = u;
      e.position = t;
      e.history.assign(train.begin(), train.begin() + (t - 1));
      e.next_item = train[t];
      if (d > 0) {
        e.demo_history.assign(train.begin(), train.begin() + (d - 2));
        e.demo_hidden = train[d - 2];
        e.demo_next = train[d - 1];
      }
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

void fill_cached_example(Example& e, const teacher::CacheBatch& cache, int64_t i, Answer answer, uint64_t seed) {
  const int64_t C = cache.candidates.size(1);
  auto candidates = cache.candidates.accessor<int64_t, 2>();
  auto scores = cache.candidate_scores.accessor<float, 2>();
  std::vector<int64_t> row(C);
  for (int64_t j = 0; j < C; ++j) row[j] = candidates[i][j];
  std::vector<int64_t> where;
  e.candidates = shuffle_candidates(row, seed, e.user, e.position, kCachedSalt, &where);
  if (answer == Answer::kTrueItem) {
    e.label = where[0];
    return;
  }
  e.teacher_scores.assign(C, 0.f);
  std::vector<int64_t> by_score(C);  // columns, best first; the first best column wins ties
  for (int64_t j = 0; j < C; ++j) {
    e.teacher_scores[where[j]] = scores[i][j];
    by_score[j] = j;
  }
  std::stable_sort(by_score.begin(), by_score.end(), [&](int64_t a, int64_t b) { return scores[i][a] > scores[i][b]; });
  e.label = where[by_score[0]];
  for (int64_t j = 1; j < C; ++j) e.teacher_ranks.push_back(row[by_score[j]]);
}

std::vector<Example> cached_examples(const teacher::CacheBatch& cache, const data::Dataset& dataset, Answer answer,
                                     uint64_t seed) {
  std::vector<Example> out;
  for (auto& [row_index, example] : training_prefixes(cache, dataset)) {
    fill_cached_example(example, cache, row_index, answer, seed);
    out.push_back(std::move(example));
  }
  return out;
}

void fill_teacher_topk_example(Example& e, const teacher::CacheBatch& cache, int64_t i,
                               const data::Dataset& dataset, int64_t top_k, uint64_t seed) {
  const int64_t C = cache.candidates.size(1), K = cache.topk_items.size(1);
  top_k = std::min(top_k, C);  // every candidate from the teacher's top: no random ones
  DELREC_CHECK(top_k <= K, "stage1.rps.top_k is {} but the teacher cache holds the teacher's top {} items; lower "
               "stage1.rps.top_k or raise teacher.top_k (and rebuild the cache)", top_k, K);
  auto row = cache.candidates.accessor<int64_t, 2>();
  auto row_scores = cache.candidate_scores.accessor<float, 2>();
  auto topk = cache.topk_items.accessor<int64_t, 2>();
  auto topk_scores = cache.topk_scores.accessor<float, 2>();
  // Unshown order: the teacher's top-k (best first), then fillers; column 0 is the answer.
  std::vector<int64_t> items;
  std::vector<float> scores;
  auto add = [&](int64_t item, float score) {
    if (static_cast<int64_t>(items.size()) == C || std::find(items.begin(), items.end(), item) != items.end()) return;
    items.push_back(item);
    scores.push_back(score);
  };
  for (int64_t j = 0; j < top_k; ++j) add(topk[i][j], topk_scores[i][j]);
  for (int64_t j = 1; j < C; ++j) add(row[i][j], row_scores[i][j]);  // column 0 is the true item
  const auto& seq = dataset.sequences[e.user];
  for (int64_t j = top_k; j < K; ++j)  // rarely needed: only when the top-k took row negatives
    if (std::find(seq.begin(), seq.end(), topk[i][j]) == seq.end()) add(topk[i][j], topk_scores[i][j]);
  DELREC_CHECK(static_cast<int64_t>(items.size()) == C,
               "teacher cache example (user {}, position {}): only {} distinct candidates the user never "
               "interacted with for {} slots; raise teacher.top_k", e.user, e.position, items.size(), C);
  for (int64_t j = 1; j < top_k; ++j) e.teacher_ranks.push_back(items[j]);
  std::vector<int64_t> where;
  e.candidates = shuffle_candidates(items, seed, e.user, e.position, kTeacherTopkSalt, &where);
  e.teacher_scores.assign(C, 0.f);
  for (int64_t j = 0; j < C; ++j) e.teacher_scores[where[j]] = scores[j];
  e.label = where[0];
}

std::vector<Example> teacher_topk_examples(const teacher::CacheBatch& cache, const data::Dataset& dataset,
                                           int64_t top_k, uint64_t seed) {
  std::vector<Example> out;
  for (auto& [row_index, example] : training_prefixes(cache, dataset)) {
    fill_teacher_topk_example(example, cache, row_index, dataset, top_k, seed);
    out.push_back(std::move(example));
  }
  return out;
}

std::pair<int64_t, int64_t> rps_agreement(const std::vector<Example>& rps, const data::Dataset& dataset) {
  int64_t agreeing = 0;
  for (const auto& e : rps) agreeing += e.candidates.at(e.label) == dataset.sequences.at(e.user).at(e.position);
  return {static_cast<int64_t>(rps.size()), agreeing};
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
