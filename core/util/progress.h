#pragma once
// Progress of a long loop. On a terminal: one redrawn line "label [#####.....] 45% 120/266 status  ETA 1m02s".
// Elsewhere (logs of batch jobs) it draws nothing; callers log plain lines instead, see interactive().
#include <chrono>
#include <cstdint>
#include <string>

namespace delrec {

class Progress {
 public:
  Progress(std::string label, int64_t total);
  ~Progress();
  // Whether stderr is a terminal (and the bar is drawn).
  bool interactive() const { return interactive_; }
  // `done` of `total` units finished; redraws at most ten times a second, and always on the last unit.
  void update(int64_t done, const std::string& status);
  // Ends the bar line so that following log lines start on their own line.
  void finish();

 private:
  std::string label_;
  int64_t total_;
  bool interactive_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// "1h02m", "3m05s", "12.3s"
std::string format_duration(double seconds);

}  // namespace delrec
