#pragma once
// Asking a training job to stop cleanly. Signal handlers only record the request; the training loop checks it at
// each step boundary, where every rank agrees (an all-reduce of the request), saves a checkpoint and unwinds with
// StopRequested, whose exit status `delrec` returns (core/run/exit_codes.h):
//   SIGTERM, SIGUSR1      save, exit 75: requeue me (Slurm's preemption and time-limit warning); the set is
//                         checkpoint.requeue_signals
//   SIGINT                save, exit 130: stopped by the user, do not requeue
//   the time budget       checkpoint.exit_after_minutes passed on any rank: save, exit 75
#include <stdexcept>
#include <string>
#include <vector>

namespace delrec::train {

// Installs the handlers: the named signals ("SIGTERM", "SIGUSR1", "SIGUSR2", "SIGHUP") ask for a requeue, the
// others of those get their default action back; SIGINT asks for a plain stop. Calling it again replaces the set.
// A second SIGINT while a stop is pending terminates at once.
void install_stop_handlers(const std::vector<std::string>& requeue_signals = {"SIGTERM", "SIGUSR1"});

// The number of a signal named as in checkpoint.requeue_signals; an Error for any other name.
int signal_number(const std::string& name);

// 0 when nothing was requested, else the exit status the request asks for (75 or 130).
int pending_stop();

// Test hook: records a request as a signal would (0 clears it).
void request_stop(int exit_status);

// Seconds since this process started (the time budget counts from there).
double seconds_since_start();

class StopRequested : public std::runtime_error {
 public:
  StopRequested(int exit_status, const std::string& what) : std::runtime_error(what), exit_status_(exit_status) {}
  int exit_status() const { return exit_status_; }

 private:
  int exit_status_;
};

}  // namespace delrec::train
