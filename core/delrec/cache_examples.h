#pragma once
// The training examples that come from the teacher cache (stage 1's RPS, stage 2), built when first used. The list
// holds one example per training row of the cache, in cache order, with its user, position and history only (from
// the dataset: no cache read); `fill` reads the example's row and completes it (candidates, answer, the teacher's
// scores and ranks), exactly as examples::teacher_topk_examples / cached_examples build it from a whole cache. The
// prompt encoder fills an example before it first encodes it (prompt::EncodedExamples), so a data-parallel rank
// reads the rows of the examples it trains on and no others (docs/teachers.md).
#include <cstdint>
#include <utility>
#include <vector>

#include "core/delrec/examples.h"
#include "core/teacher/teacher_cache.h"

namespace delrec::examples {

class CacheExamples {
 public:
  enum class Kind {
    kTrueItem,     // stage 2: the cached candidate row, the true next item as the answer (cached_examples)
    kTeacherTop1,  // RPS with stage1.rps.candidates = dataset_row (cached_examples, Answer::kTeacherTop1)
    kTeacherTopk,  // RPS with stage1.rps.candidates = teacher_topk (teacher_topk_examples)
  };
  // max_ranks >= 0 keeps the first max_ranks teacher ranks of each example (-1 keeps all).
  CacheExamples(const teacher::TeacherCacheReader& reader, const data::Dataset& dataset, Kind kind, uint64_t seed,
                int64_t top_k = 0, int64_t max_ranks = -1);

  std::vector<Example>& examples() { return examples_; }
  // Reads e.cache_row and completes e.
  void fill(Example& e) const;
  // (examples, whose answer is the true next item) over the training rows of slice `rank` of `world` of the
  // cache: every rank reads its slice, and the sums over ranks cover every example once.
  std::pair<int64_t, int64_t> agreement_of_slice(int rank, int world) const;

 private:
  void complete(Example& e, const teacher::CacheBatch& batch, int64_t i) const;

  const teacher::TeacherCacheReader& reader_;
  const data::Dataset& dataset_;
  Kind kind_;
  uint64_t seed_;
  int64_t top_k_, max_ranks_;
  std::vector<Example> examples_;
};

}  // namespace delrec::examples
