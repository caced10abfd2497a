#include "core/train/checkpoint_store.h"

#include <spdlog/spdlog.h>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "core/util/atomic_file.h"
#include "core/util/error.h"
#include "core/util/fault_injection.h"

namespace fs = std::filesystem;

namespace delrec::train {
namespace {

constexpr char kManifest[] = "manifest.json";
const std::regex kStepDir(R"(step-(\d+))");
const std::regex kTmpDir(R"(step-\d+\.tmp)");

std::string step_name(int64_t step) { return fmt::format("step-{:06d}", step); }

// CRC-32 of a whole file, read in 4 MiB blocks.
uint32_t file_crc32(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  DELREC_CHECK(in.good(), "cannot read checkpoint file {}", path.string());
  std::vector<char> block(4 << 20);
  uLong crc = crc32(0L, Z_NULL, 0);
  while (in) {
    in.read(block.data(), static_cast<std::streamsize>(block.size()));
    std::streamsize got = in.gcount();
    if (got > 0) crc = crc32(crc, reinterpret_cast<const Bytef*>(block.data()), static_cast<uInt>(got));
  }
  return static_cast<uint32_t>(crc);
}

void barrier(parallel::Communicator* comm) {
  if (comm) comm->barrier();
}

}  // namespace

CheckpointStore::CheckpointStore(fs::path root, int keep_last) : root_(std::move(root)), keep_last_(keep_last) {
  DELREC_CHECK(keep_last_ >= 1, "checkpoint keep_last must be >= 1 (got {})", keep_last_);
}

fs::path CheckpointStore::save(int64_t step, const std::function<void(const fs::path&)>& write_files,
                               parallel::Communicator* comm) {
  write_files(begin(step, comm));
  barrier(comm);  // every rank's files are in tmp/ (and flushed: write_files closes them)
  if (!comm || comm->rank() == 0) publish(step);
  barrier(comm);  // nobody reads `latest` before it names this step
  return step_dir(step);
}

fs::path CheckpointStore::step_dir(int64_t step) const { return root_ / step_name(step); }

fs::path CheckpointStore::tmp_dir(int64_t step) const { return root_ / (step_name(step) + ".tmp"); }

fs::path CheckpointStore::begin(int64_t step, parallel::Communicator* comm) {
  const fs::path tmp = tmp_dir(step);
  if (!comm || comm->rank() == 0) {
    fs::create_directories(root_);
    fs::remove_all(tmp);
    fs::create_directories(tmp);
  }
  barrier(comm);
  return tmp;
}

fs::path CheckpointStore::publish(int64_t step) const {
  fail_point("checkpoint_publish");
  const fs::path final_dir = step_dir(step), tmp = tmp_dir(step);
  nlohmann::json files = nlohmann::json::object();
  for (const auto& entry : fs::directory_iterator(tmp)) {
    if (!entry.is_regular_file()) continue;
    sync_path(entry.path());
    files[entry.path().filename().string()] = {{"bytes", entry.file_size()}, {"crc32", file_crc32(entry.path())}};
  }
  nlohmann::json manifest = {{"step", step}, {"files", files}};
  write_file_atomically(tmp / kManifest, manifest.dump(2) + "\n");
  sync_path(tmp);
  fs::remove_all(final_dir);  // a checkpoint of the same step from a run that was rolled back
  fs::rename(tmp, final_dir);
  sync_path(root_);
  write_file_atomically(root_ / "latest", final_dir.filename().string() + "\n");

  auto complete = complete_by_step();
  for (size_t i = 0; i + static_cast<size_t>(keep_last_) < complete.size(); ++i) fs::remove_all(complete[i].dir);
  spdlog::info("checkpoint: saved {} ({} files)", final_dir.string(), files.size());
  return final_dir;
}

std::vector<CheckpointInfo> CheckpointStore::complete_by_step() const {
  std::vector<CheckpointInfo> out;
  if (!fs::exists(root_)) return out;
  for (const auto& entry : fs::directory_iterator(root_)) {
    std::smatch m;
    std::string name = entry.path().filename().string();
    if (entry.is_directory() && std::regex_match(name, m, kStepDir)) out.push_back({std::stoll(m[1]), entry.path()});
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.step < b.step; });
  return out;
}

std::string CheckpointStore::verify(const fs::path& dir) {
  const fs::path manifest_path = dir / kManifest;
  if (!fs::exists(manifest_path)) return fmt::format("{} is missing", manifest_path.string());
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(read_file(manifest_path));
    for (const auto& [name, meta] : manifest.at("files").items()) {
      const fs::path file = dir / name;
      if (!fs::exists(file)) return fmt::format("{} is missing", file.string());
      const auto bytes = meta.at("bytes").get<uintmax_t>();
      if (fs::file_size(file) != bytes)
        return fmt::format("{} has {} bytes, the manifest says {}", file.string(), fs::file_size(file), bytes);
      if (file_crc32(file) != meta.at("crc32").get<uint32_t>())
        return fmt::format("{} does not match its CRC-32 in the manifest (corrupted)", file.string());
    }
  } catch (const nlohmann::json::exception& e) {
    return fmt::format("{} is not a valid manifest: {}", manifest_path.string(), e.what());
  }
  return "";
}

std::optional<CheckpointInfo> CheckpointStore::latest_complete() const {
  auto complete = complete_by_step();
  for (auto it = complete.rbegin(); it != complete.rend(); ++it) {
    std::string problem = verify(it->dir);
    if (problem.empty()) return *it;
    spdlog::warn("checkpoint: skipping {}: {}; trying the previous one", it->dir.string(), problem);
  }
  return std::nullopt;
}

std::vector<fs::path> CheckpointStore::partial() const {
  std::vector<fs::path> out;
  if (!fs::exists(root_)) return out;
  for (const auto& entry : fs::directory_iterator(root_))
    if (entry.is_directory() && std::regex_match(entry.path().filename().string(), kTmpDir))
      out.push_back(entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

std::string CheckpointStore::latest_name() const {
  if (!fs::exists(root_ / "latest")) return "";
  std::string name = read_file(root_ / "latest");
  name.erase(name.find_last_not_of(" \n\r\t") + 1);
  return name;
}

void CheckpointStore::remove_partial() const {
  for (const auto& dir : partial()) {
    spdlog::info("checkpoint: removing {} left by an interrupted save", dir.string());
    fs::remove_all(dir);
  }
}

}  // namespace delrec::train
