#include "core/train/stop_request.h"

#include <gtest/gtest.h>

#include <csignal>

#include "core/util/error.h"
#include "tests/test_support.h"

namespace delrec::train {
namespace {

// Real signals to this process: the configured requeue signals ask for exit 75, SIGINT for 130.
TEST(StopRequest, ConfiguredSignalsAskForARequeueAndSigintForAStop) {
  install_stop_handlers({"SIGTERM", "SIGUSR2"});
  ASSERT_EQ(pending_stop(), 0);
  std::raise(SIGUSR2);
  EXPECT_EQ(pending_stop(), 75);
  request_stop(0);
  std::raise(SIGTERM);
  EXPECT_EQ(pending_stop(), 75);
  request_stop(0);
  std::raise(SIGINT);
  EXPECT_EQ(pending_stop(), 130);
  request_stop(0);
  install_stop_handlers();  // the default set: SIGUSR2 gets its default action back
  EXPECT_EQ(std::signal(SIGUSR2, SIG_DFL), SIG_DFL);
  EXPECT_NE(test::error_message([] { signal_number("SIGKILL"); }).find("'SIGKILL' cannot request a requeue"),
            std::string::npos);
}

}  // namespace
}  // namespace delrec::train
