#pragma once
// Fixed candidate sets: every model is scored on the same items for the same user (protocol in docs/data.md).
#include <cstdint>
#include <vector>

#include "core/data/dataset.h"

namespace delrec::data {

// One candidate row: [target, n_1, ..., n_{C-1}] where the n_j are distinct items of 1..num_items, sampled
// uniformly among those not in `interacted` (sorted, unique, must contain target), from a PRNG seeded with `seed`.
// `scratch` is a reusable buffer (resized to num_items + 1, left all zero). Throws when fewer than C-1 items
// remain.
std::vector<int64_t> sample_candidates(int64_t target, const std::vector<int64_t>& interacted, int64_t num_items,
                                       int64_t num_candidates, uint64_t seed, std::vector<uint8_t>& scratch);

// Fills dataset.valid_candidates and dataset.test_candidates ([U][C]) from the sequences. interacted[u] lists (sorted,
// unique) every item user u ever interacted with in the raw data, including interactions that filters removed from
// the sequence, so a negative is never an item the user has seen. Row streams are seeded with (seed, user, split),
// so a row depends only on these, not on the order of sampling.
void build_candidates(Dataset& dataset, const std::vector<std::vector<int64_t>>& interacted, int64_t num_candidates,
                      int64_t seed);

}  // namespace delrec::data
