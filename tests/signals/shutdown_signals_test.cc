#include "signals/shutdown_signals.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>

#include <thread>

namespace esper::signals {
namespace {

TEST(ShutdownSignalsTest, DeliversSignalsThroughThePollableFd) {
  ShutdownSignals signals;
  EXPECT_FALSE(signals.take().has_value());
  // Raised from another thread: the mask is process-wide in effect, so the signal still lands in
  // the signalfd instead of killing the test.
  std::thread([] { ::kill(::getpid(), SIGTERM); }).join();
  pollfd p{signals.fd(), POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1) << "signalfd never became readable";
  const auto signo = signals.take();
  ASSERT_TRUE(signo.has_value());
  EXPECT_EQ(*signo, SIGTERM);
  EXPECT_TRUE(is_stop_signal(*signo));

  ::kill(::getpid(), SIGHUP);
  const auto hup = signals.wait(5000);
  ASSERT_TRUE(hup.has_value());
  EXPECT_EQ(*hup, SIGHUP);
  EXPECT_FALSE(is_stop_signal(*hup));
  EXPECT_FALSE(signals.wait(0).has_value());
}

}  // namespace
}  // namespace esper::signals
