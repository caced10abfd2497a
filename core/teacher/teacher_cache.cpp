#include "core/teacher/teacher_cache.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <limits>
#include <numeric>

#include "core/data/candidates.h"
#include "core/teacher/shard_file.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/json_input.h"
#include "core/util/random.h"

namespace delrec::teacher {
namespace {

constexpr const char* kFormat = "delrec-teacher-cache";
constexpr int64_t kFormatVersion = 1;
constexpr const char* kManifest = "manifest.json";
// Candidate streams of training prefixes: mix_seed(seed, user, kTrainStreamBase + t), apart from the dataset's
// validation (1) and test (2) streams.
constexpr uint64_t kTrainStreamBase = 16;
constexpr const char* kRebuild = "rebuild it with `delrec teacher cache RECIPE` (the recipe of the prepared dataset)";

std::vector<int64_t> candidate_row(const data::Dataset& d, const CacheExample& e, uint64_t seed,
                                   std::vector<uint8_t>& scratch) {
  if (e.kind == ExampleKind::kValid) return d.valid_candidates[e.user];
  if (e.kind == ExampleKind::kTest) return d.test_candidates[e.user];
  const auto& s = d.sequences[e.user];
  std::vector<int64_t> interacted(s.begin(), s.end());
  std::sort(interacted.begin(), interacted.end());
  interacted.erase(std::unique(interacted.begin(), interacted.end()), interacted.end());
  return data::sample_candidates(s[e.position], interacted, d.num_items(), int64_t(d.valid_candidates[0].size()),
                                 mix_seed(seed, uint64_t(e.user), kTrainStreamBase + uint64_t(e.position)), scratch);
}

// The first example in `rows` (indices into `examples`) whose scores are not finite, as "user U position T".
std::string first_non_finite(const torch::Tensor& scores, const std::vector<int64_t>& rows,
                             const std::vector<CacheExample>& examples) {
  const auto bad = torch::isfinite(scores).all(1).logical_not().nonzero();
  const auto& e = examples[rows[bad[0][0].item<int64_t>()]];
  return fmt::format("user {} position {}", e.user, e.position);
}

}  // namespace

std::vector<CacheExample> cache_examples(const data::Dataset& dataset, int64_t train_prefixes) {
  std::vector<CacheExample> examples;
  for (int64_t u = 0; u < dataset.num_users(); ++u) {
    const int64_t n = int64_t(dataset.sequences[u].size());
    const int64_t last_train = n - 3;  // training targets are s[1..n-3]
    const int64_t first = train_prefixes < 0 ? 1 : std::max<int64_t>(1, last_train - train_prefixes + 1);
    for (int64_t t = first; t <= last_train; ++t) examples.push_back({u, t, ExampleKind::kTrain});
    examples.push_back({u, n - 2, ExampleKind::kValid});
    examples.push_back({u, n - 1, ExampleKind::kTest});
  }
  return examples;
}

std::string shard_file_name(int64_t shard, int64_t num_shards) {
  return fmt::format("shard-{:05}-of-{:05}.h5", shard, num_shards);
}

std::pair<int64_t, int64_t> split_range(int64_t total, int64_t index, int64_t parts) {
  return {total * index / parts, total * (index + 1) / parts};
}

void write_cache_shard(const Teacher& teacher, const data::Dataset& dataset, const CacheSpec& spec, int64_t shard,
                       int64_t num_shards, const std::filesystem::path& dir) {
  const auto examples = cache_examples(dataset, spec.train_prefixes);
  // Plain variables, not a structured binding: the write_atomically lambda below captures them, which C++17 allows
  // only for variables (clang refuses captured bindings; the sanitizer build uses clang).
  const auto range = split_range(int64_t(examples.size()), shard, num_shards);
  const int64_t begin = range.first, end = range.second;
  const int64_t n = end - begin, K = spec.top_k, C = int64_t(dataset.valid_candidates.at(0).size());
  const auto path = dir / shard_file_name(shard, num_shards);
  auto user = torch::empty({n}, torch::kLong), position = torch::empty({n}, torch::kLong);
  auto kind = torch::empty({n}, torch::kInt8);
  auto candidates = torch::empty({n, C}, torch::kLong), candidate_scores = torch::empty({n, C});
  auto topk_items = torch::empty({n, K}, torch::kLong), topk_scores = torch::empty({n, K});
  // Examples sorted by history length, so that each batch is padded only to a similar length.
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), begin);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return examples[a].position < examples[b].position; });
  std::vector<uint8_t> scratch;
  torch::NoGradGuard no_grad;
  for (int64_t first = 0; first < n; first += teacher.config().eval_batch_size) {
    const std::vector<int64_t> rows(order.begin() + first,
                                    order.begin() + std::min(n, first + teacher.config().eval_batch_size));
    const int64_t B = int64_t(rows.size());
    std::vector<std::vector<int64_t>> histories;
    auto batch_candidates = torch::empty({B, C}, torch::kLong);
    for (int64_t b = 0; b < B; ++b) {
      const auto& e = examples[rows[b]];
      const auto& s = dataset.sequences[e.user];
      histories.emplace_back(s.begin(), s.begin() + e.position);
      const auto row = candidate_row(dataset, e, spec.candidate_seed, scratch);
      std::copy(row.begin(), row.end(), batch_candidates[b].data_ptr<int64_t>());
    }
    auto states = teacher.encode(histories);                                  // (B, D)
    auto scores = teacher.model().score(states, batch_candidates);            // (B, C)
    DELREC_CHECK(torch::isfinite(scores).all().item<bool>(),
                 "teacher cache shard {}: the teacher gave a NaN or infinite candidate score ({}); the checkpoint "
                 "is broken, retrain it with `delrec teacher train RECIPE`",
                 path.string(), first_non_finite(scores, rows, examples));
    auto all = teacher.model().score_all(states).contiguous();                // (B, N + 1)
    DELREC_CHECK(torch::isfinite(all).all().item<bool>(),
                 "teacher cache shard {}: the teacher gave a NaN or infinite score ({}); retrain it with "
                 "`delrec teacher train RECIPE`",
                 path.string(), first_non_finite(all, rows, examples));
    // Top-K recommendations never include padding or an item already in the history.
    auto* a = all.data_ptr<float>();
    const int64_t stride = all.size(1);
    for (int64_t b = 0; b < B; ++b) {
      a[b * stride] = -std::numeric_limits<float>::infinity();
      for (int64_t item : histories[b]) a[b * stride + item] = -std::numeric_limits<float>::infinity();
    }
    auto [best_scores, best_items] = all.topk(K, 1);                          // (B, K)
    DELREC_CHECK(torch::isfinite(best_scores).all().item<bool>(),
                 "teacher cache: teacher.top_k {} is larger than the number of items outside the history ({}); "
                 "lower teacher.top_k", K, first_non_finite(best_scores, rows, examples));
    auto local = torch::tensor(rows, torch::kLong) - begin;
    candidates.index_copy_(0, local, batch_candidates);
    candidate_scores.index_copy_(0, local, scores);
    topk_items.index_copy_(0, local, best_items);
    topk_scores.index_copy_(0, local, best_scores);
    for (int64_t b = 0; b < B; ++b) {
      const auto& e = examples[rows[b]];
      user[rows[b] - begin] = e.user;
      position[rows[b] - begin] = e.position;
      kind[rows[b] - begin] = int8_t(e.kind);
    }
  }
  std::filesystem::create_directories(dir);
  write_atomically(path, [&](const std::filesystem::path& tmp) {
    ShardWriter file(tmp);
    file.set_attribute("format", kFormat);
    file.set_attribute("version", kFormatVersion);
    file.set_attribute("dataset_fingerprint", dataset.fingerprint);
    file.set_attribute("shard", shard);
    file.set_attribute("num_shards", num_shards);
    file.set_attribute("begin", begin);
    file.set_attribute("end", end);
    file.write("user", user);
    file.write("position", position);
    file.write("kind", kind);
    // Item ids are stored as int32 (half the size; checked against num_items when the manifest is written).
    file.write("candidates", candidates.to(torch::kInt32));
    file.write("candidate_scores", candidate_scores);
    file.write("topk_items", topk_items.to(torch::kInt32));
    file.write("topk_scores", topk_scores);
    file.close();
  });
}

CacheManifest write_cache_manifest(const Teacher& teacher, const data::Dataset& dataset, const CacheSpec& spec,
                                   int64_t num_shards, const std::filesystem::path& dir) {
  DELREC_CHECK(dataset.num_items() <= std::numeric_limits<int32_t>::max(),
               "teacher cache: {} items do not fit the cache's int32 item ids", dataset.num_items());
  CacheManifest m;
  m.dataset_name = dataset.name;
  m.dataset_fingerprint = dataset.fingerprint;
  m.model = teacher.config().model;
  m.checkpoint_sha256 = spec.checkpoint_sha256;
  m.top_k = spec.top_k;
  m.num_candidates = int64_t(dataset.valid_candidates.at(0).size());
  m.train_prefixes = spec.train_prefixes;
  m.candidate_seed = spec.candidate_seed;
  m.num_examples = int64_t(cache_examples(dataset, spec.train_prefixes).size());
  nlohmann::json shards = nlohmann::json::array();
  for (int64_t s = 0; s < num_shards; ++s) {
    const auto [begin, end] = split_range(m.num_examples, s, num_shards);
    m.shards.push_back({shard_file_name(s, num_shards), begin, end});
    DELREC_CHECK(std::filesystem::exists(dir / m.shards.back().file),
                 "teacher cache: shard {} was not written; every rank must finish its shards before the manifest",
                 (dir / m.shards.back().file).string());
    shards.push_back({{"file", m.shards.back().file}, {"begin", begin}, {"end", end}});
  }
  nlohmann::json j{{"format", kFormat},
                   {"version", kFormatVersion},
                   {"dataset_name", m.dataset_name},
                   {"dataset_fingerprint", m.dataset_fingerprint},
                   {"model", m.model},
                   {"checkpoint_sha256", m.checkpoint_sha256},
                   {"top_k", m.top_k},
                   {"num_candidates", m.num_candidates},
                   {"train_prefixes", m.train_prefixes},
                   {"candidate_seed", m.candidate_seed},
                   {"num_examples", m.num_examples},
                   {"shards", shards}};
  write_file_atomically(dir / kManifest, j.dump(2) + "\n");
  return m;
}

// Shard files opened on first use and checked against the manifest once.
class TeacherCacheReader::ShardCache {
 public:
  ShardCache(const std::filesystem::path& dir, const CacheManifest& m) : dir_(dir), manifest_(m) {}
  const ShardReader& get(size_t s) {
    auto& file = open_[s];
    if (file) return *file;
    const auto& shard = manifest_.shards[s];
    file = std::make_unique<ShardReader>(dir_ / shard.file);
    const int64_t rows = shard.end - shard.begin;
    auto expect = [&](bool ok, const std::string& what) {
      DELREC_CHECK(ok, "teacher cache shard {}: {} does not match {}; {}", file->path().string(), what,
                   (dir_ / kManifest).string(), kRebuild);
    };
    expect(file->string_attribute("dataset_fingerprint") == manifest_.dataset_fingerprint, "dataset fingerprint");
    expect(file->int_attribute("begin") == shard.begin && file->int_attribute("end") == shard.end, "example range");
    for (const char* name : {"user", "position", "kind"}) expect(file->shape(name)[0] == rows, name);
    for (const char* name : {"candidates", "candidate_scores"})
      expect(file->shape(name) == std::vector<int64_t>{rows, manifest_.num_candidates}, name);
    for (const char* name : {"topk_items", "topk_scores"})
      expect(file->shape(name) == std::vector<int64_t>{rows, manifest_.top_k}, name);
    return *file;
  }

 private:
  std::filesystem::path dir_;
  CacheManifest manifest_;
  std::map<size_t, std::unique_ptr<ShardReader>> open_;
};

TeacherCacheReader::TeacherCacheReader(const std::filesystem::path& dir, const std::string& expected_fingerprint,
                                       int64_t num_items)
    : dir_(dir), num_items_(num_items) {
  const auto path = dir / kManifest;
  DELREC_CHECK(std::filesystem::exists(path), "no teacher cache at {} ({} is missing); build it with `delrec teacher "
               "cache RECIPE`", dir.string(), path.string());
  try {
    const auto j = parse_json(read_file(path), path.string());
    DELREC_CHECK(j.at("format") == kFormat && j.at("version") == kFormatVersion, "unknown format or version");
    manifest_.dataset_name = j.at("dataset_name");
    manifest_.dataset_fingerprint = j.at("dataset_fingerprint");
    manifest_.model = j.at("model");
    manifest_.checkpoint_sha256 = j.at("checkpoint_sha256");
    manifest_.top_k = j.at("top_k");
    manifest_.num_candidates = j.at("num_candidates");
    manifest_.train_prefixes = j.at("train_prefixes");
    manifest_.candidate_seed = j.at("candidate_seed");
    manifest_.num_examples = j.at("num_examples");
    for (const auto& s : j.at("shards")) manifest_.shards.push_back({s.at("file"), s.at("begin"), s.at("end")});
  } catch (const std::exception& e) {
    throw Error(fmt::format("teacher cache manifest {} is not valid ({}); {}", path.string(), e.what(), kRebuild));
  }
  check_manifest(path);
  DELREC_CHECK(manifest_.dataset_fingerprint == expected_fingerprint,
               "teacher cache {} was built for dataset '{}' (fingerprint {}), not for the prepared dataset in use "
               "(fingerprint {}); it is stale: {}",
               dir.string(), manifest_.dataset_name, manifest_.dataset_fingerprint.substr(0, 16),
               expected_fingerprint.substr(0, 16), kRebuild);
  shards_ = std::make_unique<ShardCache>(dir_, manifest_);
}

// The manifest is read from disk like any other input: its shard names stay inside the cache folder and its
// shard ranges tile [0, num_examples) exactly (a gap would silently drop examples, an overlap repeat them).
void TeacherCacheReader::check_manifest(const std::filesystem::path& path) const {
  const auto& m = manifest_;
  auto expect = [&](bool ok, const std::string& what) {
    DELREC_CHECK(ok, "teacher cache manifest {}: {}; {}", path.string(), what, kRebuild);
  };
  expect(m.top_k >= 1 && m.num_candidates >= 1 && m.num_examples >= 0,
         fmt::format("top_k {}, num_candidates {} and num_examples {} must be positive", m.top_k, m.num_candidates,
                     m.num_examples));
  expect(!m.shards.empty() || m.num_examples == 0, "no shards listed");
  const auto n = int64_t(m.shards.size());
  int64_t next = 0;
  for (int64_t s = 0; s < n; ++s) {
    const auto& shard = m.shards[size_t(s)];
    expect(shard.file == shard_file_name(s, n),
           fmt::format("shard {} is named '{}', not '{}' (shard files are plain names inside the cache folder)", s,
                       shard.file, shard_file_name(s, n)));
    expect(shard.begin == next && shard.begin <= shard.end,
           fmt::format("shard {} covers examples [{}, {}) but the shards before it end at {}; the shards must "
                       "cover [0, {}) in order, without gaps or overlaps", s, shard.begin, shard.end, next,
                       m.num_examples));
    next = shard.end;
  }
  expect(next == m.num_examples,
         fmt::format("the shards cover [0, {}) but the cache has {} examples", next, m.num_examples));
}

// Values read back from the shard files: item ids within the dataset, scores finite (the writer refuses NaN, so a
// NaN here is damage, not a teacher's output).
void TeacherCacheReader::check_batch(const CacheBatch& batch, int64_t begin, int64_t end) const {
  auto where = [&](const char* name) {
    return fmt::format("teacher cache {}: {} of examples [{}, {})", dir_.string(), name, begin, end);
  };
  for (const auto* items : {&batch.candidates, &batch.topk_items}) {
    if (items->numel() == 0) continue;
    const int64_t lo = items->min().item<int64_t>(), hi = items->max().item<int64_t>();
    DELREC_CHECK(lo >= 1 && hi <= num_items_, "{} hold item ids in [{}, {}], outside the dataset's [1, {}]; the "
                 "cache is damaged or from another dataset: {}",
                 where(items == &batch.candidates ? "candidates" : "topk_items"), lo, hi, num_items_, kRebuild);
  }
  for (const auto* scores : {&batch.candidate_scores, &batch.topk_scores}) {
    DELREC_CHECK(torch::isfinite(*scores).all().item<bool>(), "{} hold NaN or infinite scores; the cache is "
                 "damaged: {}", where(scores == &batch.candidate_scores ? "candidate_scores" : "topk_scores"),
                 kRebuild);
  }
}

TeacherCacheReader::TeacherCacheReader(TeacherCacheReader&&) noexcept = default;
TeacherCacheReader::~TeacherCacheReader() = default;

std::pair<int64_t, int64_t> TeacherCacheReader::slice(int rank, int world) const {
  DELREC_CHECK(world >= 1 && rank >= 0 && rank < world, "teacher cache: rank {} is not in a world of {}", rank, world);
  return split_range(manifest_.num_examples, rank, world);
}

CacheBatch TeacherCacheReader::read_slice(int rank, int world) const {
  const auto [begin, end] = slice(rank, world);
  return read(begin, end);
}

CacheBatch TeacherCacheReader::read(int64_t begin, int64_t end) const {
  DELREC_CHECK(0 <= begin && begin <= end && end <= manifest_.num_examples,
               "teacher cache {}: examples [{}, {}) out of range (it has {})", dir_.string(), begin, end,
               manifest_.num_examples);
  std::map<std::string, std::vector<torch::Tensor>> parts;
  for (size_t s = 0; s < manifest_.shards.size(); ++s) {
    const auto& shard = manifest_.shards[s];
    const int64_t lo = std::max(begin, shard.begin), hi = std::min(end, shard.end);
    if (lo >= hi) continue;
    const auto& file = shards_->get(s);
    for (const char* name : {"user", "position", "kind", "candidates", "candidate_scores", "topk_items",
                             "topk_scores"})
      parts[name].push_back(file.read_rows(name, lo - shard.begin, hi - shard.begin));
  }
  auto join = [&](const char* name, torch::ScalarType dtype, std::vector<int64_t> empty_shape) {
    auto& p = parts[name];
    return p.empty() ? torch::empty(empty_shape, dtype) : torch::cat(p).to(dtype);
  };
  CacheBatch batch{join("user", torch::kLong, {0}),
                   join("position", torch::kLong, {0}),
                   join("kind", torch::kInt8, {0}),
                   join("candidates", torch::kLong, {0, manifest_.num_candidates}),
                   join("candidate_scores", torch::kFloat32, {0, manifest_.num_candidates}),
                   join("topk_items", torch::kLong, {0, manifest_.top_k}),
                   join("topk_scores", torch::kFloat32, {0, manifest_.top_k}),
                   manifest_.checkpoint_sha256};
  check_batch(batch, begin, end);
  examples_read_ += end - begin;
  return batch;
}

}  // namespace delrec::teacher
