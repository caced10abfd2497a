#pragma once
// The examples of DELRec's two stages and of its evaluation, built from the prepared dataset and the teacher cache.
// Every example shows its candidates in a seeded order of its own (the dataset and the cache keep the true item in
// column 0, which a prompt must never reveal); `label` is the answer's index in that shown order.
//
//   temporal analysis (TA, stage 1)   history s[0..t-2], hidden s[t-1], known next s[t]: which candidate is s[t-1]?
//                                     candidates: s[t-1] and C-1 items the user never interacted with; shown after
//                                     a demonstration of the same question on the user's first d items
//   pattern simulating (RPS, stage 1) history s[0..t-1]; candidates the teacher's top-k items plus items the user
//                                     never interacted with (or the cached row: true item + negatives); the answer
//                                     is the teacher's top-1, teacher_scores carry its scores (distribution target)
//   recommendation (stage 2, eval)    history s[0..t-1] and the candidates; the answer is the true next item s[t]
#include <cstdint>
#include <vector>

#include "core/data/dataset.h"
#include "core/teacher/teacher_cache.h"

namespace delrec::examples {

struct Example {
  int64_t user = 0;
  int64_t position = 0;               // t (see above)
  std::vector<int64_t> history;       // item ids, oldest first (prompts show the most recent max_history_items)
  std::vector<int64_t> candidates;    // item ids in the order shown
  int64_t label = 0;                  // index of the answer in `candidates`
  int64_t next_item = 0;              // TA: the known item that followed the hidden one; 0 otherwise
  std::vector<float> teacher_scores;  // RPS: the teacher's score of each shown candidate; empty otherwise
  std::vector<int64_t> teacher_ranks; // RPS: the teacher's candidates ranked 2, 3, ... (best first)
  // TA demonstration on the user's first d items: s[0..d-3] shown, s[d-2] hidden (its answer), s[d-1] next.
  std::vector<int64_t> demo_history;
  int64_t demo_hidden = 0, demo_next = 0;  // 0 = no demonstration
  int64_t cache_row = -1;             // the teacher-cache row it comes from (stage 1 RPS, stage 2); -1 = none
};

// The example of a training row of the teacher cache before its candidates: user, position t, history s[0..t-1]
// (checked against the dataset).
Example training_example(const data::Dataset& dataset, int64_t user, int64_t position, int64_t cache_row);

// TA examples: for each user, the most recent `per_user` positions t of the training sequence s[0..n-3] (-1 = all)
// with a non-empty history (t >= 2) and, with `demonstration_items` d > 0, room for the demonstration before the
// hidden item (t >= d + 1: the demonstration never shows the hidden or the known next item); candidates sampled
// with (seed, user, t).
std::vector<Example> temporal_examples(const data::Dataset& dataset, int64_t per_user, int64_t num_candidates,
                                       int64_t demonstration_items, uint64_t seed);

// RPS candidates from the teacher (recipe stage1.rps.candidates = teacher_topk). For each training example of the
// cache: the teacher's top_k items, then items the user never interacted with up to C (the cached row's sampled
// negatives, which carry the teacher's scores; if the top-k took some of them, the teacher's next ranks), shown in
// a seeded order; the answer is the teacher's top-1 (the true item is a candidate only when the teacher ranks it
// in its top_k). teacher_ranks lists top-k ranks 2..k. A top_k above C counts as C.
std::vector<Example> teacher_topk_examples(const teacher::CacheBatch& cache, const data::Dataset& dataset,
                                           int64_t top_k, uint64_t seed);

// Completes training_example(...) from row i of `cache` as teacher_topk_examples does.
void fill_teacher_topk_example(Example& e, const teacher::CacheBatch& cache, int64_t i,
                               const data::Dataset& dataset, int64_t top_k, uint64_t seed);

// How often the RPS answer is the true next item s[t]: (examples, agreeing).
std::pair<int64_t, int64_t> rps_agreement(const std::vector<Example>& rps, const data::Dataset& dataset);

// Who answers a cached example: the true next item (stage 2) or the teacher's best-scored candidate (RPS).
enum class Answer { kTrueItem, kTeacherTop1 };

// One example per cached example of kind ExampleKind::kTrain, in cache order. With kTeacherTop1 the teacher's
// scores travel with the example (shown order), for the distribution target.
std::vector<Example> cached_examples(const teacher::CacheBatch& cache, const data::Dataset& dataset, Answer answer,
                                     uint64_t seed);

// Completes training_example(...) from row i of `cache` as cached_examples does.
void fill_cached_example(Example& e, const teacher::CacheBatch& cache, int64_t i, Answer answer, uint64_t seed);

// Validation or test examples of the first `max_users` users (0 = all) on the dataset's fixed candidate rows.
enum class Split { kValid, kTest };
std::vector<Example> split_examples(const data::Dataset& dataset, Split split, int64_t max_users, uint64_t seed);

// The shown order of a candidate row whose column 0 is the true item: a permutation seeded with
// (seed, user, position, salt); returns the permuted row and writes where column j went into `where` when given.
std::vector<int64_t> shuffle_candidates(const std::vector<int64_t>& row, uint64_t seed, int64_t user,
                                        int64_t position, uint64_t salt, std::vector<int64_t>* where = nullptr);

}  // namespace delrec::examples
