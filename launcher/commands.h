#pragma once
// One function per command group; each adds its subcommands (with --help) to the CLI.
#include <CLI/CLI.hpp>

namespace delrec::cli {

void add_data_commands(CLI::App& app);  // data prepare, data stats
void add_run_commands(CLI::App& app);   // run, quickstart
void add_teacher_commands(CLI::App& app);  // teacher train, teacher eval, teacher cache
void add_slurm_commands(CLI::App& app);   // slurm submit, slurm status
void add_tokenizer_commands(CLI::App& app);  // tokenizer encode, tokenizer decode
void add_model_commands(CLI::App& app);      // model verify, model info
void add_launch_commands(CLI::App& app);  // launch
void add_report_commands(CLI::App& app);  // report
void add_plan_commands(CLI::App& app);    // plan

}  // namespace delrec::cli
