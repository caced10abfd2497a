#pragma once
// Exit statuses of `delrec`, documented for job scripts (docs/resilience.md).
namespace delrec::run {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;    // an error was reported (bad input, failed step)
inline constexpr int kExitUsage = 2;    // bad command line or recipe
// A checkpoint was saved because the job was asked to stop (SIGTERM, SIGUSR1 or the time budget): requeue me.
// 75 is EX_TEMPFAIL from sysexits.h, "temporary failure, retry later".
inline constexpr int kExitRequeue = 75;

}  // namespace delrec::run
