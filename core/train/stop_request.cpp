#include "core/train/stop_request.h"

#include <chrono>
#include <csignal>
#include <cstdlib>

#include "core/run/exit_codes.h"

namespace delrec::train {
namespace {

volatile std::sig_atomic_t g_stop = 0;
const auto g_start = std::chrono::steady_clock::now();

extern "C" void on_stop_signal(int signal) {
  if (signal == SIGINT && g_stop != 0) std::_Exit(130);  // a second Ctrl-C: stop now
  g_stop = signal == SIGINT ? 130 : run::kExitRequeue;
}

}  // namespace

void install_stop_handlers() {
  for (int s : {SIGTERM, SIGUSR1, SIGINT}) std::signal(s, on_stop_signal);
}

int pending_stop() { return static_cast<int>(g_stop); }

void request_stop(int exit_status) { g_stop = exit_status; }

double seconds_since_start() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - g_start).count();
}

}  // namespace delrec::train
