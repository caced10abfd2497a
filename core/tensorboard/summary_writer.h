#pragma once
// TensorBoard event files: what `tensorboard --logdir <run>/tensorboard` shows. Each step of a run writes its own
// folder (<run>/tensorboard/<step>/, a "run" in TensorBoard's terms); each writer opens a new file
//   events.out.tfevents.<unix seconds>.<host>.<pid>
// in it (the seconds later than any file there), so a resumed stage adds a file that TensorBoard, reading by name,
// reads after the first one's.
//
// Events are buffered and written every `flush_seconds`, at flush() (the trainer calls it before every checkpoint,
// so what a checkpoint covers is on disk) and when the writer is destroyed. After a resume, keep_steps_up_to()
// first removes the events of the steps the checkpoint does not cover, as the metrics.jsonl lines are: the curves
// then hold every step once, never rewound.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

namespace delrec::tensorboard {

class SummaryWriter {
 public:
  SummaryWriter(const std::filesystem::path& dir, double flush_seconds);
  ~SummaryWriter();
  SummaryWriter(const SummaryWriter&) = delete;
  SummaryWriter& operator=(const SummaryWriter&) = delete;

  void scalar(const std::string& tag, int64_t step, double value);  // stored as float32, as TensorBoard does
  void text(const std::string& tag, int64_t step, const std::string& markdown);
  // Every number of a metrics line (metric_scalars) as a scalar at `step`.
  void metrics(const nlohmann::json& line, int64_t step);
  void flush();

  const std::filesystem::path& path() const { return path_; }

 private:
  void add(const std::string& event);

  std::filesystem::path path_;
  std::ofstream out_;
  std::string pending_;  // framed records not yet written
  double flush_seconds_;
  std::chrono::steady_clock::time_point last_flush_;
};

// The scalars of one metrics.jsonl line, tag and value: every number but the step counters ("step", "epoch"),
// nested objects as "<key>/<name>" (the teacher's {"valid": {"HR@10": ...}} gives "valid/HR@10"), arrays of
// numbers as "<key>/<index>". Strings ("stage") are not scalars.
std::vector<std::pair<std::string, double>> metric_scalars(const nlohmann::json& line);

// Drops the events of steps after `step` from every event file in `dir`, and a last record cut short by a kill;
// each changed file is rewritten atomically. Nothing when `dir` does not exist.
void keep_steps_up_to(const std::filesystem::path& dir, int64_t step);

// The event files of `dir` in the order TensorBoard reads them (by name).
std::vector<std::filesystem::path> event_files(const std::filesystem::path& dir);

}  // namespace delrec::tensorboard
