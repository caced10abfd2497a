#include "core/util/log.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string>

namespace delrec {

void setup_logging() {
  auto logger = spdlog::stderr_color_mt("delrec");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("[%H:%M:%S] [%^%l%$] %v");
  const char* level = std::getenv("DELREC_LOG_LEVEL");
  spdlog::set_level(level ? spdlog::level::from_str(level) : spdlog::level::info);
}

void set_log_rank(int rank, int world_size) {
  if (world_size <= 1) return;
  spdlog::set_pattern("[%H:%M:%S] [%^%l%$] [rank " + std::to_string(rank) + "/" + std::to_string(world_size) +
                      "] %v");
}

}  // namespace delrec
