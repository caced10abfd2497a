#include "core/delrec/cache_examples.h"

#include <algorithm>

#include "core/util/error.h"

namespace delrec::examples {

CacheExamples::CacheExamples(const teacher::TeacherCacheReader& reader, const data::Dataset& dataset, Kind kind,
                             uint64_t seed, int64_t top_k, int64_t max_ranks)
    : reader_(reader), dataset_(dataset), kind_(kind), seed_(seed), top_k_(top_k), max_ranks_(max_ranks) {
  const auto& m = reader.manifest();
  if (kind == Kind::kTeacherTopk)
    DELREC_CHECK(std::min(top_k, m.num_candidates) <= m.top_k,
                 "stage1.rps.top_k is {} but the teacher cache holds the teacher's top {} items; lower "
                 "stage1.rps.top_k or raise teacher.top_k (and rebuild the cache)", top_k, m.top_k);
  // The cache's order, from the dataset and the manifest's train_prefixes alone.
  const auto rows = teacher::cache_examples(dataset, m.train_prefixes);
  DELREC_CHECK(static_cast<int64_t>(rows.size()) == m.num_examples,
               "teacher cache: the manifest lists {} examples but dataset '{}' with train_prefixes {} makes {}; "
               "rebuild the cache with `delrec teacher cache RECIPE`", m.num_examples, dataset.name,
               m.train_prefixes, rows.size());
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i].kind == teacher::ExampleKind::kTrain)
      examples_.push_back(training_example(dataset, rows[i].user, rows[i].position, static_cast<int64_t>(i)));
}

void CacheExamples::complete(Example& e, const teacher::CacheBatch& batch, int64_t i) const {
  DELREC_CHECK(batch.user[i].item<int64_t>() == e.user && batch.position[i].item<int64_t>() == e.position &&
                   batch.kind[i].item<int8_t>() == static_cast<int8_t>(teacher::ExampleKind::kTrain),
               "teacher cache row {} is not (user {}, position {}) as the dataset's order says; rebuild the cache "
               "with `delrec teacher cache RECIPE`", e.cache_row, e.user, e.position);
  if (kind_ == Kind::kTeacherTopk)
    fill_teacher_topk_example(e, batch, i, dataset_, top_k_, seed_);
  else
    fill_cached_example(e, batch, i, kind_ == Kind::kTrueItem ? Answer::kTrueItem : Answer::kTeacherTop1, seed_);
  if (max_ranks_ >= 0) e.teacher_ranks.resize(std::min<size_t>(e.teacher_ranks.size(), max_ranks_));
}

void CacheExamples::fill(Example& e) const {
  DELREC_CHECK(e.cache_row >= 0, "internal: example of user {} has no teacher-cache row", e.user);
  complete(e, reader_.read(e.cache_row, e.cache_row + 1), 0);
}

std::pair<int64_t, int64_t> CacheExamples::agreement_of_slice(int rank, int world) const {
  const auto [begin, end] = reader_.slice(rank, world);
  const teacher::CacheBatch batch = reader_.read(begin, end);
  int64_t count = 0, agreeing = 0;
  for (const Example& skeleton : examples_) {
    if (skeleton.cache_row < begin || skeleton.cache_row >= end) continue;
    Example e = skeleton;
    complete(e, batch, e.cache_row - begin);
    ++count;
    agreeing += e.candidates.at(e.label) == dataset_.sequences.at(e.user).at(e.position);
  }
  return {count, agreeing};
}

}  // namespace delrec::examples
