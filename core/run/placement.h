#pragma once
// Where the ranks of each start of a run ran: <run>/logs/placement.json, written by world rank 0 when the pipeline
// starts (before the TP layout is checked, so that a refused layout is on record too), one entry per start of the
// job (a requeued or resubmitted job adds one), the last 100 kept:
//
//   {"starts": [{"time": "2026-12-03T08:40:00Z", "slurm_job_id": "12", "slurm_restart_count": 1,
//                "world": 4, "tp": 2, "nodes": ["dnode1", "dnode2"],
//                "ranks": [{"rank": 0, "node": "dnode1", "local_rank": 0, "pid": 4242, "threads": 1}, ...]}]}
//
// `delrec slurm status` shows the last start: which node each rank ran on (docs/slurm.md).
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "parallel/world.h"

namespace delrec::run {

std::filesystem::path placement_path(const std::filesystem::path& run_dir);

// Appends this start to the run's record (atomically). Call on world rank 0 only.
void record_placement(const std::filesystem::path& run_dir, const parallel::World::Nodes& nodes, int tp);

// The last start on record; none when the file is missing or unreadable (a status must not fail on it).
std::optional<nlohmann::json> last_placement(const std::filesystem::path& run_dir);

// "ranks 0,1 on dnode1; ranks 2,3 on dnode2" of one start.
std::string format_placement(const nlohmann::json& start);

}  // namespace delrec::run
