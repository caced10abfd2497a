#pragma once
// The teacher cache: the teacher's outputs for every example the LLM stages use, computed once, so those stages
// never run the teacher. Layout (docs/teachers.md):
//
//   <dir>/manifest.json                     dataset fingerprint, checkpoint hash, K, C, shard ranges
//   <dir>/shard-00000-of-00003.h5 ...       contiguous ranges of examples, chunked and compressed (shard_file.h)
//
// Examples, in cache order: for each user u (0..U-1) with sequence s[0..n-1], the training prefixes (history
// s[0..t-1], target s[t], for the most recent `train_prefixes` t in 1..n-3; -1 = all), then validation (t = n-2),
// then test (t = n-1). Per example the cache holds: user, t, kind, the C candidates (the dataset's rows for
// validation and test; for training prefixes rows sampled the same way, seeded by (data seed, user, t), column 0 =
// target), the teacher's scores of those candidates, and its top-K items over the catalogue (history items and
// padding left out) with their scores.
//
// Shard s of S holds examples [s*E/S, (s+1)*E/S). A reader serves any rank r of any world w the slice
// [r*E/w, (r+1)*E/w), whatever S was, reading only the shards that overlap it.
#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/teacher/teacher.h"

namespace delrec::teacher {

enum class ExampleKind : int8_t { kTrain = 0, kValid = 1, kTest = 2 };

struct CacheExample {
  int64_t user;
  int64_t position;  // t: history s[0..t-1], target s[t]
  ExampleKind kind;
};

// Every cached example in cache order (see above).
std::vector<CacheExample> cache_examples(const data::Dataset& dataset, int64_t train_prefixes);

struct CacheSpec {
  int64_t top_k = 50;
  int64_t train_prefixes = -1;   // see cache_examples
  uint64_t candidate_seed = 0;   // seeds training-prefix candidate rows (the recipe's data.seed)
  std::string checkpoint_sha256;  // of the teacher checkpoint the cache was computed with
};

struct CacheManifest {
  std::string dataset_name, dataset_fingerprint, model, checkpoint_sha256;
  int64_t top_k = 0, num_candidates = 0, train_prefixes = -1, num_examples = 0;
  uint64_t candidate_seed = 0;
  struct Shard {
    std::string file;
    int64_t begin = 0, end = 0;
  };
  std::vector<Shard> shards;
};

// Examples [begin, end) of the cache, in cache order; items are int64, scores float32.
struct CacheBatch {
  torch::Tensor user;              // (n) int64
  torch::Tensor position;          // (n) int64
  torch::Tensor kind;              // (n) int8, ExampleKind
  torch::Tensor candidates;        // (n, C) int64, column 0 = target
  torch::Tensor candidate_scores;  // (n, C) float32
  torch::Tensor topk_items;        // (n, K) int64, best first
  torch::Tensor topk_scores;       // (n, K) float32
  std::string teacher_sha256;      // the manifest's checkpoint_sha256: which teacher wrote these scores
};

// "shard-00002-of-00003.h5"
std::string shard_file_name(int64_t shard, int64_t num_shards);
// [begin, end) of part `index` when `total` items are split into `parts` contiguous near-equal parts.
std::pair<int64_t, int64_t> split_range(int64_t total, int64_t index, int64_t parts);

// Computes and writes shard `shard` of `num_shards` atomically into `dir`. Refuses NaN or infinite scores.
void write_cache_shard(const Teacher& teacher, const data::Dataset& dataset, const CacheSpec& spec, int64_t shard,
                       int64_t num_shards, const std::filesystem::path& dir);
// Writes <dir>/manifest.json atomically (after every shard is written).
CacheManifest write_cache_manifest(const Teacher& teacher, const data::Dataset& dataset, const CacheSpec& spec,
                                   int64_t num_shards, const std::filesystem::path& dir);

class TeacherCacheReader {
 public:
  // Opens <dir>/manifest.json. A cache built for another dataset (fingerprint != expected_fingerprint) is refused
  // with the command that rebuilds it, and so is a manifest whose shards are not the plain file names
  // shard-*-of-*.h5 covering [0, num_examples) in order. Batches read are checked: item ids in [1, num_items],
  // finite scores.
  TeacherCacheReader(const std::filesystem::path& dir, const std::string& expected_fingerprint, int64_t num_items);
  TeacherCacheReader(TeacherCacheReader&&) noexcept;
  ~TeacherCacheReader();

  const CacheManifest& manifest() const { return manifest_; }
  int64_t num_examples() const { return manifest_.num_examples; }
  // The slice rank `rank` of `world` serves.
  std::pair<int64_t, int64_t> slice(int rank, int world) const;
  CacheBatch read(int64_t begin, int64_t end) const;
  CacheBatch read_slice(int rank, int world) const;
  // Examples read so far by this reader (every read() counts its rows): the LLM stages read only the rows they
  // train on, and a test counts them per rank.
  int64_t examples_read() const { return examples_read_; }

 private:
  class ShardCache;
  void check_manifest(const std::filesystem::path& path) const;
  void check_batch(const CacheBatch& batch, int64_t begin, int64_t end) const;
  std::filesystem::path dir_;
  int64_t num_items_;
  CacheManifest manifest_;
  std::unique_ptr<ShardCache> shards_;  // shard files opened on first use
  mutable int64_t examples_read_ = 0;
};

}  // namespace delrec::teacher
