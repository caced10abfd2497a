#pragma once
// Logging through spdlog: plain "[time] [level] message" lines on stderr; under MPI each line carries the rank.
namespace delrec {

// Installs the default logger. Level from DELREC_LOG_LEVEL (trace, debug, info, warn, error), default info.
void setup_logging();

// Prefixes every following log line with "rank R/W" (called once the communicator knows the rank).
void set_log_rank(int rank, int world_size);

}  // namespace delrec
