#include "launcher/commands.h"
namespace delrec::cli {
void add_data_commands(CLI::App& app) {}
}  // namespace delrec::cli
