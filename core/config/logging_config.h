#pragma once
// Recipe section `logging`: what a run writes for people to look at, beside metrics.jsonl (docs/monitoring.md).
#include "core/config/schema.h"

namespace delrec::config {

struct LoggingConfig {
  bool tensorboard = true;     // event files under <out_dir>/tensorboard/<step>/
  double flush_seconds = 30;   // event files are written at least this often (and at checkpoints, at the end)
  bool report = true;          // <out_dir>/report.html at the end of `delrec run`

  void describe(Schema& s) {
    s.field("tensorboard", tensorboard,
            "write TensorBoard event files under <out_dir>/tensorboard/<step>/ (tensorboard --logdir "
            "<out_dir>/tensorboard)");
    s.field("flush_seconds", flush_seconds,
            "write buffered TensorBoard events at least every this many seconds (also at checkpoints and the end)",
            at_least(0));
    s.field("report", report, "write <out_dir>/report.html (delrec report) when the run ends");
  }
};

}  // namespace delrec::config
