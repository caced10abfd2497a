// Benchmark: `prepare` + `save_prepared` on a generated MovieLens-1M-sized input (1,000,000 ratings, 6,040 users,
// 3,706 items, ratings.dat format), against `wc -l` over the same file as the baseline (the cost of merely
// reading it). Target: under 10 s. Usage: bench_prepare [work_dir]
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/data/prepare.h"
#include "core/data/prepared_dataset.h"
#include "core/util/random.h"
#include "core/util/host_runtime.h"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int64_t kUsers = 6040, kItems = 3706, kInteractions = 1000000;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// ratings.dat as MovieLens-1M writes it: grouped by user, not time-sorted within a user, no repeated items.
void write_input(const fs::path& dir) {
  delrec::Rng rng(2024);
  std::ofstream ratings(dir / "ratings.dat");
  std::vector<int64_t> items(kItems);
  for (int64_t i = 0; i < kItems; ++i) items[i] = i + 1;
  for (int64_t u = 0; u < kUsers; ++u) {
    const int64_t count = kInteractions / kUsers + (u < kInteractions % kUsers ? 1 : 0);
    for (int64_t j = 0; j < count; ++j) {  // partial Fisher-Yates: `count` distinct items
      std::swap(items[j], items[j + rng.uniform(kItems - j)]);
      ratings << u + 1 << "::" << items[j] << "::" << 1 + rng.uniform(5) << "::" << 956703932 + rng.uniform(90000000)
              << "\n";
    }
  }
  std::ofstream movies(dir / "movies.dat");
  for (int64_t i = 1; i <= kItems; ++i) movies << i << "::Movie number " << i << " (" << 1920 + i % 80 << ")::Drama\n";
}

}  // namespace

int main(int argc, char** argv) {
  delrec::util::tune_host_runtime();  // docs/teachers.md: allocator and BLAS threads
  const fs::path dir =
      argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / ("delrec-bench-prepare-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  auto start = Clock::now();
  write_input(dir);
  std::printf("generated %s/ratings.dat (%lld lines) in %.2f s\n", dir.c_str(), (long long)kInteractions,
              seconds_since(start));

  // Baseline: wc -l over the same (page-cached) file, run from here and timed the same way.
  start = Clock::now();
  std::string command = "wc -l < '" + (dir / "ratings.dat").string() + "'";
  FILE* pipe = ::popen(command.c_str(), "r");
  long long lines = 0;
  if (!pipe || std::fscanf(pipe, "%lld", &lines) != 1) return 1;
  ::pclose(pipe);
  const double wc_seconds = seconds_since(start);

  delrec::config::DataConfig config;
  config.dataset = "ml-1m";
  config.source = dir.string();
  start = Clock::now();
  delrec::data::Dataset dataset = delrec::data::prepare(config);
  const double prepare_seconds = seconds_since(start);
  start = Clock::now();
  delrec::data::save_prepared(dataset, dir / "ml.h5");
  const double save_seconds = seconds_since(start);
  start = Clock::now();
  delrec::data::Dataset loaded = delrec::data::load_prepared(dir / "ml.h5");
  const double load_seconds = seconds_since(start);

  const double total = prepare_seconds + save_seconds;
  std::printf("users %lld, items %lld, interactions %lld\n", (long long)dataset.num_users(),
              (long long)dataset.num_items(), (long long)dataset.num_interactions());
  std::printf("prepare %.3f s + save %.3f s = %.3f s (target < 10 s: %s); load (validated) %.3f s\n", prepare_seconds,
              save_seconds, total, total < 10 ? "met" : "MISSED", load_seconds);
  std::printf("wc -l: %.3f s for %lld lines; ratio prepare+save / wc -l = %.1f\n", wc_seconds, lines,
              total / wc_seconds);
  for (const char* name : {"ratings.dat", "movies.dat", "ml.h5"}) fs::remove(dir / name);
  if (argc <= 1) fs::remove(dir);
  return loaded.fingerprint == dataset.fingerprint ? 0 : 1;
}
