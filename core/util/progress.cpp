#include "core/util/progress.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace delrec {

Progress::Progress(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 1)),
      interactive_(isatty(fileno(stderr)) != 0),
      start_(std::chrono::steady_clock::now()) {}

Progress::~Progress() { finish(); }

void Progress::update(int64_t done, const std::string& status) {
  if (!interactive_) return;
  const auto now = std::chrono::steady_clock::now();
  if (drawn_ && done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  drawn_ = true;
  constexpr int kWidth = 30;
  const double fraction = std::clamp(double(done) / double(total_), 0.0, 1.0);
  const int filled = static_cast<int>(fraction * kWidth);
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const std::string eta = done > 0 ? format_duration(elapsed * double(total_ - done) / double(done)) : "?";
  std::fprintf(stderr, "\r%s [%s%s] %3d%% %lld/%lld %s  ETA %s\x1b[K", label_.c_str(),
               std::string(filled, '#').c_str(), std::string(kWidth - filled, '.').c_str(),
               static_cast<int>(fraction * 100), static_cast<long long>(done), static_cast<long long>(total_),
               status.c_str(), eta.c_str());
  std::fflush(stderr);
}

void Progress::finish() {
  if (!drawn_) return;
  std::fputc('\n', stderr);
  drawn_ = false;
}

std::string format_duration(double seconds) {
  if (seconds >= 3600) return fmt::format("{}h{:02}m", int64_t(seconds / 3600), int64_t(seconds / 60) % 60);
  if (seconds >= 60) return fmt::format("{}m{:02}s", int64_t(seconds / 60), int64_t(seconds) % 60);
  return fmt::format("{:.1f}s", seconds);
}

}  // namespace delrec
