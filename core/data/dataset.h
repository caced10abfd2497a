#pragma once
// The prepared dataset in memory: what every later step (teachers, prompts, evaluation) reads. On disk it is one
// HDF5 file (prepared_dataset.h, layout in docs/data.md).
//
// Ids: users 0..num_users-1; items 1..num_items, with 0 reserved for padding (as in SASRec), so item tables have
// num_items + 1 rows.
//
// Leave-one-out split of each user's chronological sequence s[0..n-1] (n >= 3):
//   train      s[0..n-3]                      (every prefix predicts its next item)
//   validation history s[0..n-3], target s[n-2]
//   test       history s[0..n-2], target s[n-1]
//
// Candidates: for each user and for the validation and the test example, a fixed row of C item ids. Column 0 is
// the true target; columns 1..C-1 are distinct items the user never interacted with, sampled uniformly with the
// recipe's seed. Models score all C; ties are ranked pessimistically (metrics.h), so the column order gives no
// advantage. Prompts present them in their own seeded order.
#include <cstdint>
#include <string>
#include <vector>

namespace delrec::data {

struct Dataset {
  std::string name;                                 // e.g. "ml-100k"
  std::vector<std::string> user_keys;               // [num_users] original user ids
  std::vector<std::string> item_keys;               // [num_items + 1] original item ids; [0] = "" (padding)
  std::vector<std::string> item_titles;             // [num_items + 1] UTF-8 titles; [0] = "" (padding)
  std::vector<std::vector<int64_t>> sequences;      // [num_users][n_u] item ids in chronological order
  std::vector<std::vector<int64_t>> timestamps;     // [num_users][n_u] seconds since the epoch (or an order index)
  std::vector<std::vector<int64_t>> valid_candidates;  // [num_users][C], column 0 = s[n-2]
  std::vector<std::vector<int64_t>> test_candidates;   // [num_users][C], column 0 = s[n-1]
  std::string fingerprint;                          // hex digest of the content above (ids, titles, sequences, candidates)
  std::string recipe_yaml;                          // the resolved recipe that made it

  int64_t num_users() const { return static_cast<int64_t>(sequences.size()); }
  int64_t num_items() const { return static_cast<int64_t>(item_titles.size()) - 1; }
  int64_t num_interactions() const;

  // Views of the leave-one-out split (see above); user sequences have length >= 3.
  std::vector<int64_t> train_sequence(int64_t user) const;    // s[0..n-3]
  std::vector<int64_t> valid_history(int64_t user) const;     // s[0..n-3]
  int64_t valid_target(int64_t user) const;                   // s[n-2]
  std::vector<int64_t> test_history(int64_t user) const;      // s[0..n-2]
  int64_t test_target(int64_t user) const;                    // s[n-1]
};

// SHA-256 (hex) of the content: user and item keys, titles, sequences, timestamps and both candidate tables, each
// length-prefixed, integers as 8-byte little-endian (layout in docs/data.md). Name and recipe are not included, so
// the same data prepared under another run name has the same fingerprint.
std::string compute_fingerprint(const Dataset& dataset);

}  // namespace delrec::data
