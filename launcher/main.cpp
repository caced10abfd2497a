// delrec: the command-line entry point. Each command group lives in its own file (see commands.h); errors are
// thrown where they happen and reported here, once.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <exception>

#include "core/train/stop_request.h"
#include "core/util/error.h"
#include "core/util/host_runtime.h"
#include "core/util/log.h"
#include "launcher/commands.h"
#include "parallel/world.h"

int main(int argc, char** argv) {
  delrec::util::tune_host_runtime();
  CLI::App app{"delrec: LLM-based sequential recommendation with patterns distilled from conventional "
               "recommenders (DELRec), from one CPU to a GPU cluster."};
  app.set_version_flag("--version",
                       [] { return std::string("delrec ") + DELREC_VERSION + "\n" + delrec::parallel::describe_build(); });
  app.require_subcommand(1);
  app.fallthrough();
  delrec::cli::add_data_commands(app);
  delrec::cli::add_run_commands(app);
  delrec::cli::add_teacher_commands(app);
  delrec::cli::add_slurm_commands(app);
  delrec::cli::add_tokenizer_commands(app);
  delrec::cli::add_model_commands(app);
  delrec::cli::add_launch_commands(app);
  delrec::cli::add_report_commands(app);
  delrec::cli::add_plan_commands(app);

  delrec::setup_logging();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const delrec::train::StopRequested& e) {
    spdlog::warn("{}", e.what());
    return e.exit_status();
  } catch (const delrec::UsageError& e) {
    spdlog::error("{}", e.what());
    delrec::parallel::abort_job_on_error(e.what(), delrec::kExitUsage);
    return delrec::kExitUsage;
  } catch (const std::exception& e) {
    // One rank's error ends every rank (the others may be waiting for it in a collective); a stop request above
    // is agreed by all ranks and needs no abort.
    spdlog::error("{}", e.what());
    delrec::parallel::abort_job_on_error(e.what(), delrec::kExitError);
    return delrec::kExitError;
  }
  return 0;
}
