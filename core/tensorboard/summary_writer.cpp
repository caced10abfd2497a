#include "core/tensorboard/summary_writer.h"

#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <fmt/format.h>

#include "core/tensorboard/event_codec.h"
#include "core/tensorboard/record_file.h"
#include "core/util/atomic_file.h"
#include "core/util/error.h"

namespace delrec::tensorboard {
namespace fs = std::filesystem;
namespace {

double wall_time() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof(name) - 1) != 0) return "localhost";
  return name;
}

// events.out.tfevents.<seconds>.<host>.<pid>, the seconds made later than any file already in `dir` (a resume
// within the same second, or with a clock set back) so that reading by name reads the attempts in order.
fs::path new_event_file(const fs::path& dir) {
  int64_t seconds = static_cast<int64_t>(std::time(nullptr));
  for (const fs::path& existing : event_files(dir)) {
    const std::string name = existing.filename().string();  // events.out.tfevents.<seconds>....
    const size_t at = std::string("events.out.tfevents.").size(), end = name.find('.', at);
    try {
      seconds = std::max<int64_t>(seconds, std::stoll(name.substr(at, end - at)) + 1);
    } catch (const std::exception&) {
      // a file named by another writer: TensorBoard orders it by name, whatever it holds
    }
  }
  return dir / fmt::format("events.out.tfevents.{:010d}.{}.{}", seconds, host_name(), getpid());
}

void flatten(const std::string& tag, const nlohmann::json& value, std::vector<std::pair<std::string, double>>* out) {
  if (value.is_number()) {
    out->emplace_back(tag, value.get<double>());
  } else if (value.is_object()) {
    for (const auto& [key, item] : value.items()) flatten(tag + "/" + key, item, out);
  } else if (value.is_array()) {
    for (size_t i = 0; i < value.size(); ++i) flatten(tag + "/" + std::to_string(i), value[i], out);
  }
}

}  // namespace

SummaryWriter::SummaryWriter(const fs::path& dir, double flush_seconds)
    : flush_seconds_(flush_seconds), last_flush_(std::chrono::steady_clock::now()) {
  fs::create_directories(dir);
  path_ = new_event_file(dir);
  out_.open(path_, std::ios::binary | std::ios::app);
  DELREC_CHECK(out_.good(), "cannot create the TensorBoard event file {}", path_.string());
  add(file_version_event(wall_time()));
  flush();
}

SummaryWriter::~SummaryWriter() { flush(); }

void SummaryWriter::add(const std::string& event) {
  pending_ += frame_record(event);
  const double since = std::chrono::duration<double>(std::chrono::steady_clock::now() - last_flush_).count();
  if (since >= flush_seconds_) flush();
}

void SummaryWriter::flush() {
  last_flush_ = std::chrono::steady_clock::now();
  if (pending_.empty()) return;
  out_.write(pending_.data(), static_cast<std::streamsize>(pending_.size()));
  out_.flush();
  pending_.clear();
}

void SummaryWriter::scalar(const std::string& tag, int64_t step, double value) {
  add(scalar_event(wall_time(), step, tag, static_cast<float>(value)));
}

void SummaryWriter::text(const std::string& tag, int64_t step, const std::string& markdown) {
  add(text_event(wall_time(), step, tag, markdown));
}

void SummaryWriter::metrics(const nlohmann::json& line, int64_t step) {
  for (const auto& [tag, value] : metric_scalars(line)) scalar(tag, step, value);
}

std::vector<std::pair<std::string, double>> metric_scalars(const nlohmann::json& line) {
  std::vector<std::pair<std::string, double>> out;
  for (const auto& [key, value] : line.items())
    if (key != "step" && key != "epoch") flatten(key, value, &out);
  return out;
}

std::vector<fs::path> event_files(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().filename().string().rfind("events.out.tfevents.", 0) == 0)
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

void keep_steps_up_to(const fs::path& dir, int64_t step) {
  for (const fs::path& file : event_files(dir)) {
    const RecordFile read = read_records(file);
    std::string kept;
    size_t dropped = 0;
    for (const std::string& record : read.records) {
      const EventStep event = event_step(record, file.string());
      if (event.has_summary && event.step > step) {
        ++dropped;
        continue;
      }
      kept += frame_record(record);
    }
    if (dropped > 0 || read.truncated) write_file_atomically(file, kept);
  }
}

}  // namespace delrec::tensorboard
