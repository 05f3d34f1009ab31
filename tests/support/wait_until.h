// Bounded waiting for a condition, the alternative to sleeping in tests: polls `condition` until it
// holds or `timeout` passes. Use with a message that says what did not happen:
//   ASSERT_TRUE(wait_until([&] { return seen == 5; }, 5s)) << "subscriber saw " << seen << " of 5";
#ifndef ESPER_TESTS_SUPPORT_WAIT_UNTIL_H_
#define ESPER_TESTS_SUPPORT_WAIT_UNTIL_H_

#include <chrono>
#include <thread>

namespace esper::testing {

template <typename Condition>
bool wait_until(Condition&& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace esper::testing

#endif  // ESPER_TESTS_SUPPORT_WAIT_UNTIL_H_
