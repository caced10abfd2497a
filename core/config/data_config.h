#pragma once
// Recipe section `data`: which raw dataset to read and how to turn it into a prepared dataset.
#include <cstdint>
#include <string>

#include "core/config/schema.h"

namespace delrec::config {

// Deterministic synthetic interactions with titles and planted sequential patterns (quickstart, tests).
struct SyntheticConfig {
  int64_t users = 600;             // number of users
  int64_t items = 300;             // number of items
  int64_t min_length = 8;          // shortest user sequence
  int64_t max_length = 30;         // longest user sequence
  double pattern_strength = 0.8;   // probability that the next item follows the planted transition

  void describe(Schema& s) {
    s.field("users", users, "number of users", between(10, 1e8));
    s.field("items", items, "number of items", between(30, 1e8));
    s.field("min_length", min_length, "shortest user sequence", between(3, 1e6));
    s.field("max_length", max_length, "longest user sequence", between(3, 1e6));
    s.field("pattern_strength", pattern_strength, "probability that the next item follows the planted pattern",
            between(0, 1));
  }
};

struct DataConfig {
  std::string dataset = "synthetic";   // raw format: synthetic, ml-100k, ml-1m, ml-csv, amazon, csv, steam
  std::string source;                  // raw input: a directory or a file (unused for synthetic)
  std::string prepared;                // prepared dataset file; empty = <run.out_dir>/data.h5
  double min_rating = 0;               // drop interactions rated below this (0 keeps all; implicit feedback)
  int64_t kcore = 0;                   // iterative k-core filter on users and items (0 = off)
  int64_t min_history = 3;             // users with fewer interactions are dropped (3 = one train item + val + test)
  int64_t max_history = 0;             // keep only the most recent N interactions per user (0 = all)
  int64_t num_candidates = 20;         // candidates per evaluated example: the true item + N-1 sampled negatives
  int64_t seed = 42;                   // seed of candidate sampling (and of the synthetic generator)
  bool title_cleanup = true;           // tidy item titles (title_cleanup.h): HTML entities, spaces, "Matrix, The"
  SyntheticConfig synthetic;           // used when dataset = synthetic

  void describe(Schema& s) {
    s.choice("dataset", dataset, {"synthetic", "ml-100k", "ml-1m", "ml-csv", "amazon", "csv", "steam"},
             "raw dataset format");
    s.field("source", source, "raw input directory or file (unused for synthetic)");
    s.field("prepared", prepared, "prepared dataset file; empty = <run.out_dir>/data.h5");
    s.field("min_rating", min_rating, "drop interactions rated below this; 0 keeps all", at_least(0));
    s.field("kcore", kcore, "iterative k-core filter on users and items; 0 = off", at_least(0));
    s.field("min_history", min_history, "drop users with fewer interactions", at_least(3));
    s.field("max_history", max_history, "keep the most recent N interactions per user; 0 = all", at_least(0));
    s.field("num_candidates", num_candidates, "candidates per evaluated example (true item + sampled negatives)",
            between(2, 100000));
    s.field("seed", seed, "seed of candidate sampling and of the synthetic generator", at_least(0));
    s.field("title_cleanup", title_cleanup,
            "tidy item titles: decode HTML entities, collapse whitespace, move trailing articles to the front "
            "('Matrix, The (1999)' -> 'The Matrix (1999)')");
    s.section("synthetic", synthetic, "synthetic generator (dataset = synthetic)");
  }
};

}  // namespace delrec::config
