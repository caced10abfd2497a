#pragma once
// `delrec report`: one self-contained HTML page of one run, or of several overlaid for comparison. It holds the
// results table (every ablation), the curves of each step (teacher, stage 1, stage 2, the ablations; one chart per
// family of numbers: losses, validation, tokens/s, learning rate, gradient norm, task weights, step time), timings
// and throughput, the checkpoints left, the provenance records and the recipe. Charts are drawn in the browser by
// Chart.js, embedded in the page (chart_js.h) with the numbers as JSON: the page needs no network.
#include <filesystem>
#include <string>
#include <vector>

#include "core/report/run_contents.h"

namespace delrec::report {

std::string report_page(const std::vector<RunContents>& runs);

// Reads each run directory and writes the page to `out` atomically.
void write_report(const std::vector<std::filesystem::path>& run_dirs, const std::filesystem::path& out);

}  // namespace delrec::report
