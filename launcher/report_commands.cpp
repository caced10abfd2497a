// `delrec report RUN_DIR [RUN_DIR ...] [--out FILE.html]`: the run report, a self-contained HTML page
// (core/report/report_page.h); with several run directories their curves are overlaid and their results tabulated.
#include <iostream>

#include "core/delrec/run_layout.h"
#include "core/report/report_page.h"
#include "core/util/error.h"
#include "launcher/commands.h"

namespace delrec::cli {

void add_report_commands(CLI::App& app) {
  auto* report = app.add_subcommand("report", "Write the HTML report of a run directory (results, curves, timings, "
                                              "checkpoints, provenance, recipe), or compare several runs in one page");
  auto run_dirs = std::make_shared<std::vector<std::string>>();
  auto out = std::make_shared<std::string>();
  report->add_option("run_dirs", *run_dirs, "run directories (run.out_dir of a recipe)")->required();
  report->add_option("--out", *out, "the page to write (default: RUN_DIR/report.html for one run; required for "
                                    "several)");
  report->callback([=] {
    if (out->empty()) {
      if (run_dirs->size() > 1)
        throw UsageError("delrec report: comparing " + std::to_string(run_dirs->size()) +
                         " runs needs --out FILE.html (where to write the page)");
      *out = stages::RunLayout(std::filesystem::path(run_dirs->front())).report().string();
    }
    std::vector<std::filesystem::path> dirs(run_dirs->begin(), run_dirs->end());
    report::write_report(dirs, *out);
    std::cout << "report: " << *out << "\n";
  });
}

}  // namespace delrec::cli
