#include "launcher/commands.h"
namespace delrec::cli {
void add_run_commands(CLI::App& app) {}
}  // namespace delrec::cli
