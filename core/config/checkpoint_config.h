#pragma once
// Recipe section `checkpoint`: when the training stages save their trainable state, and when a job stops itself
// to be requeued (docs/resilience.md).
#include <cstdint>
#include <string>
#include <vector>

#include "core/config/schema.h"

namespace delrec::config {

struct CheckpointConfig {
  int64_t every_steps = 50;        // save every N optimizer steps (0 = off); always at the end of a stage
  double every_minutes = 0;        // also save when this many minutes passed since the last save (0 = off)
  int64_t keep_last = 2;           // complete checkpoints kept per stage
  double exit_after_minutes = 0;   // save and exit with the requeue status after this long (0 = no budget)
  bool async_save = false;         // copy to host, write in a background thread; the step does not wait for disk
  // Signals that save at the next step boundary and exit 75 (requeue); SIGINT always saves and exits 130.
  std::vector<std::string> requeue_signals = {"SIGTERM", "SIGUSR1"};

  void describe(Schema& s) {
    s.field("every_steps", every_steps, "save every N optimizer steps; 0 = only at the end of a stage", at_least(0));
    s.field("every_minutes", every_minutes, "also save when this many minutes passed since the last save; 0 = off",
            at_least(0));
    s.field("keep_last", keep_last, "complete checkpoints kept per stage", between(1, 1000));
    s.field("exit_after_minutes", exit_after_minutes,
            "time budget: save and exit with status 75 (requeue) after this many minutes; 0 = none", at_least(0));
    s.field("async_save", async_save,
            "copy the state to host memory and write it in a background thread, so the step does not wait for the "
            "disk (needs host memory for one more copy of the trainable state)");
    s.choice_list("requeue_signals", requeue_signals, {"SIGTERM", "SIGUSR1", "SIGUSR2", "SIGHUP"},
                  "signals that save a checkpoint at the next step boundary and exit with status 75 (requeue); a "
                  "signal left out keeps its default action; SIGINT always saves and exits 130");
  }
};

}  // namespace delrec::config
