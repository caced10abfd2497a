#include "core/run/placement.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <ctime>
#include <map>
#include <vector>

#include "core/util/atomic_file.h"
#include "core/util/json_input.h"

namespace fs = std::filesystem;

namespace delrec::run {
namespace {

constexpr size_t kKeptStarts = 100;

nlohmann::json environment_value(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return nullptr;
  return value;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

// The record so far; an unreadable one (cut short by a full disk, edited by hand) starts again, it is a log.
nlohmann::json read_record(const fs::path& path) {
  try {
    if (fs::exists(path)) {
      nlohmann::json j = parse_json(read_file(path), path.string());
      if (j.is_object() && j.contains("starts") && j["starts"].is_array()) return j;
    }
  } catch (const std::exception&) {
  }
  return {{"starts", nlohmann::json::array()}};
}

}  // namespace

fs::path placement_path(const fs::path& run_dir) { return run_dir / "logs" / "placement.json"; }

void record_placement(const fs::path& run_dir, const parallel::World::Nodes& nodes, int tp) {
  nlohmann::json ranks = nlohmann::json::array();
  for (size_t r = 0; r < nodes.node_of_rank.size(); ++r) {
    nlohmann::json rank = {{"rank", r}, {"node", nodes.node_names.at(static_cast<size_t>(nodes.node_of_rank[r]))}};
    if (r < nodes.local_rank_of_rank.size()) rank["local_rank"] = nodes.local_rank_of_rank[r];
    if (r < nodes.pid_of_rank.size()) rank["pid"] = nodes.pid_of_rank[r];
    if (r < nodes.threads_of_rank.size()) rank["threads"] = nodes.threads_of_rank[r];
    ranks.push_back(std::move(rank));
  }
  nlohmann::json start = {{"time", utc_now()},
                          {"slurm_job_id", environment_value("SLURM_JOB_ID")},
                          {"slurm_restart_count", environment_value("SLURM_RESTART_COUNT")},
                          {"world", nodes.node_of_rank.size()},
                          {"tp", tp},
                          {"nodes", nodes.node_names},
                          {"ranks", std::move(ranks)}};
  const fs::path path = placement_path(run_dir);
  nlohmann::json record = read_record(path);
  auto& starts = record["starts"];
  starts.push_back(std::move(start));
  if (starts.size() > kKeptStarts) starts.erase(starts.begin(), starts.end() - kKeptStarts);
  fs::create_directories(path.parent_path());
  write_file_atomically(path, record.dump(1) + "\n");
}

std::optional<nlohmann::json> last_placement(const fs::path& run_dir) {
  const nlohmann::json record = read_record(placement_path(run_dir));
  if (record["starts"].empty()) return std::nullopt;
  return record["starts"].back();
}

std::string format_placement(const nlohmann::json& start) {
  // node -> its ranks, nodes in the order of their lowest rank
  std::vector<std::string> order;
  std::map<std::string, std::vector<int>> ranks_on;
  for (const auto& rank : start.value("ranks", nlohmann::json::array())) {
    if (!rank.is_object() || !rank.contains("node") || !rank["node"].is_string()) continue;
    const std::string node = rank["node"].get<std::string>();
    if (!ranks_on.count(node)) order.push_back(node);
    ranks_on[node].push_back(rank.value("rank", -1));
  }
  std::vector<std::string> parts;
  for (const auto& node : order)
    parts.push_back(fmt::format("{} {} on {}", ranks_on[node].size() == 1 ? "rank" : "ranks",
                                fmt::join(ranks_on[node], ","), node));
  return fmt::format("{}", fmt::join(parts, "; "));
}

}  // namespace delrec::run
