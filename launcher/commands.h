#pragma once
// One function per command group; each adds its subcommands (with --help) to the CLI.
#include <CLI/CLI.hpp>

namespace delrec::cli {

void add_data_commands(CLI::App& app);  // data prepare, data stats
void add_run_commands(CLI::App& app);   // run, quickstart
void add_teacher_commands(CLI::App& app);  // teacher train, teacher eval, teacher cache

}  // namespace delrec::cli
