#include "core/train/stop_request.h"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>

#include "core/run/exit_codes.h"
#include "core/util/error.h"

namespace delrec::train {
namespace {

volatile std::sig_atomic_t g_stop = 0;
const auto g_start = std::chrono::steady_clock::now();

extern "C" void on_stop_signal(int signal) {
  if (signal == SIGINT && g_stop != 0) std::_Exit(130);  // a second Ctrl-C: stop now
  g_stop = signal == SIGINT ? 130 : run::kExitRequeue;
}

}  // namespace

int signal_number(const std::string& name) {
  if (name == "SIGTERM") return SIGTERM;
  if (name == "SIGUSR1") return SIGUSR1;
  if (name == "SIGUSR2") return SIGUSR2;
  if (name == "SIGHUP") return SIGHUP;
  throw Error(fmt::format("'{}' cannot request a requeue; use SIGTERM, SIGUSR1, SIGUSR2 or SIGHUP", name));
}

void install_stop_handlers(const std::vector<std::string>& requeue_signals) {
  std::vector<int> requeue;
  for (const auto& name : requeue_signals) requeue.push_back(signal_number(name));
  for (int s : {SIGTERM, SIGUSR1, SIGUSR2, SIGHUP}) {
    const bool asked = std::find(requeue.begin(), requeue.end(), s) != requeue.end();
    std::signal(s, asked ? on_stop_signal : SIG_DFL);
  }
  std::signal(SIGINT, on_stop_signal);
}

int pending_stop() { return static_cast<int>(g_stop); }

void request_stop(int exit_status) { g_stop = exit_status; }

double seconds_since_start() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - g_start).count();
}

}  // namespace delrec::train
