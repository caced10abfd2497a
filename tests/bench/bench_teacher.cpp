// Teacher benchmarks on MovieLens-100K (../shared/data/ml-100k), recipe recipes/ml100k-sasrec.yaml:
//  1. seconds per SASRec training epoch with 1 and 2 threads, against a baseline measured in the same run: the
//     same model and loss with every batch padded to max_len (the reference implementation's batching).
//     For scale, the reference PyTorch implementation (pmixer/SASRec.pytorch) takes 2.7 s per epoch on one thread.
//  2. teacher cache read throughput (decoded examples) against a plain sequential read of the same shard files.
// Usage: bench_teacher [epochs=5]
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>

#include "core/data/prepare.h"
#include "core/teacher/teacher_cache.h"
#include "core/teacher/train.h"
#include "core/util/host_runtime.h"
#include "core/util/median.h"

namespace fs = std::filesystem;
using namespace delrec;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

config::TeacherConfig sasrec_config() {
  config::TeacherConfig c;  // defaults are the recipe's: hidden 50, 2 blocks, 1 head, dropout 0.2, max_len 200
  return c;
}

// One epoch the reference way: ceil(U / 128) batches of 128 users each padded to max_len, BCE with one negative.
double padded_epoch_seconds(teacher::Teacher& t, const data::Dataset& d, torch::optim::Adam& adam) {
  const int64_t L = t.config().max_len, B = t.config().batch_size;
  auto& model = t.model();
  model.train();
  const auto start = Clock::now();
  for (int64_t first = 0; first < d.num_users(); first += B) {
    std::vector<std::vector<int64_t>> inputs, targets;
    for (int64_t u = first; u < std::min(d.num_users(), first + B); ++u) {
      auto s = d.train_sequence(u);
      inputs.emplace_back(s.begin(), s.end() - 1);
      targets.emplace_back(s.begin() + 1, s.end());
    }
    auto x = teacher::pad_left(inputs, L), y = teacher::pad_left(targets, L);  // (B, <=L)
    x = torch::constant_pad_nd(x, {L - x.size(1), 0}, 0);                      // (B, L)
    y = torch::constant_pad_nd(y, {L - y.size(1), 0}, 0);
    auto mask = y.ne(0);
    auto states = model.forward(x).index({mask});
    auto pos = y.index({mask});
    auto neg = torch::randint(1, d.num_items() + 1, pos.sizes(), torch::kLong);
    auto logits = model.score(states, torch::stack({pos, neg}, 1));
    auto loss = torch::binary_cross_entropy_with_logits(logits.select(1, 0), torch::ones_like(pos, torch::kFloat)) +
                torch::binary_cross_entropy_with_logits(logits.select(1, 1), torch::zeros_like(pos, torch::kFloat));
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  return seconds_since(start);
}

void bench_epochs(const data::Dataset& d, int epochs) {
  std::cout << "SASRec epoch on " << d.name << " (" << d.num_users() << " users, " << d.num_items()
            << " items), median of " << epochs << " epochs after one warm-up\n";
  for (int threads : {1, 2}) {
    torch::set_num_threads(threads);
    torch::manual_seed(1);
    teacher::Teacher t(sasrec_config(), {d.name, d.fingerprint, d.num_items(), 0, 0});
    teacher::TeacherTrainer trainer(t, d, 1);
    trainer.train_epoch();
    std::vector<double> ours;
    for (int e = 0; e < epochs; ++e) {
      auto start = Clock::now();
      trainer.train_epoch();
      ours.push_back(seconds_since(start));
    }

    torch::manual_seed(1);
    teacher::Teacher base(sasrec_config(), {d.name, d.fingerprint, d.num_items(), 0, 0});
    torch::optim::Adam adam(base.model().parameters(), torch::optim::AdamOptions(1e-3).betas({0.9, 0.98}));
    padded_epoch_seconds(base, d, adam);
    std::vector<double> padded;
    for (int e = 0; e < epochs; ++e) padded.push_back(padded_epoch_seconds(base, d, adam));
    const double ours_s = util::median(ours), padded_s = util::median(padded);
    std::cout << fmt::format("  threads {}: {:.3f} s/epoch (epochs {:.2f}-{:.2f} s; padded-to-max_len baseline "
                             "{:.3f} s, {:.2f}x; reference implementation 2.7 s on 1 thread, {:.2f}x)\n",
                             threads, ours_s, *std::min_element(ours.begin(), ours.end()),
                             *std::max_element(ours.begin(), ours.end()), padded_s, padded_s / ours_s,
                             2.7 / ours_s);
  }
}

void bench_cache(const data::Dataset& d) {
  torch::set_num_threads(2);
  torch::manual_seed(1);
  teacher::Teacher t(sasrec_config(), {d.name, d.fingerprint, d.num_items(), 0, 0});
  teacher::CacheSpec spec;
  spec.train_prefixes = 20;
  const fs::path dir = fs::temp_directory_path() / ("delrec-bench-teacher-" + std::to_string(::getpid()));
  const int64_t shards = 3;
  auto start = Clock::now();
  for (int64_t s = 0; s < shards; ++s) teacher::write_cache_shard(t, d, spec, s, shards, dir);
  const auto manifest = teacher::write_cache_manifest(t, d, spec, shards, dir);
  const double write_s = seconds_since(start);
  int64_t bytes = 0;
  for (const auto& s : manifest.shards) bytes += int64_t(fs::file_size(dir / s.file));
  std::cout << fmt::format("teacher cache: {} examples (K {}, C {}), {} shards, {:.1f} MB on disk, written in "
                           "{:.1f} s\n", manifest.num_examples, manifest.top_k, manifest.num_candidates, shards,
                           bytes / 1e6, write_s);

  constexpr int kRepeats = 5;
  std::vector<char> buffer(1 << 20);
  start = Clock::now();
  for (int r = 0; r < kRepeats; ++r)
    for (const auto& s : manifest.shards) {
      std::ifstream in(dir / s.file, std::ios::binary);
      while (in.read(buffer.data(), std::streamsize(buffer.size())) || in.gcount() > 0) {
      }
    }
  const double plain = seconds_since(start) / kRepeats;

  start = Clock::now();
  int64_t decoded = 0;
  for (int r = 0; r < kRepeats; ++r) {
    teacher::TeacherCacheReader reader(dir, d.fingerprint, d.num_items());
    for (int rank = 0; rank < 8; ++rank) {
      const auto batch = reader.read_slice(rank, 8);
      decoded += batch.user.size(0);
    }
  }
  const double cached = seconds_since(start) / kRepeats;
  std::cout << fmt::format("  plain sequential read of the shard files: {:.1f} ms ({:.0f} MB/s)\n", plain * 1e3,
                           bytes / 1e6 / plain);
  std::cout << fmt::format("  reader, 8 rank slices (decompressed, int64 ids): {:.1f} ms ({:.0f} examples/s, "
                           "{:.0f} MB/s of files), {:.2f}x the plain read time\n",
                           cached * 1e3, decoded / kRepeats / cached, bytes / 1e6 / cached, cached / plain);
  fs::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  delrec::util::tune_host_runtime();  // docs/teachers.md: allocator and BLAS threads
  const int epochs = argc > 1 ? std::atoi(argv[1]) : 5;
  const auto source = fs::path(DELREC_SHARED_DIR) / "data/ml-100k";
  if (!fs::exists(source / "u.data")) {
    std::cerr << "bench_teacher: " << source.string() << " is not present\n";
    return 1;
  }
  spdlog::set_level(spdlog::level::warn);
  config::DataConfig data_config;
  data_config.dataset = "ml-100k";
  data_config.source = source.string();
  data_config.num_candidates = 101;
  const auto dataset = data::prepare(data_config);
  bench_epochs(dataset, epochs);
  bench_cache(dataset);
  return 0;
}
