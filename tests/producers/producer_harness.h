// What the producer tests share: a running oona with a subscriber connected to both of its lanes
// (the fixture OonaAndSubscriber), and a producer program started against that oona.
#ifndef ESPER_TESTS_PRODUCERS_PRODUCER_HARNESS_H_
#define ESPER_TESTS_PRODUCERS_PRODUCER_HARNESS_H_

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "oona/bus_subscriber.h"
#include "tests/support/oona_process.h"
#include "tests/support/child_process.h"

namespace esper::producers::testing {

class OonaAndSubscriber : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(oona_.ready());
    ASSERT_TRUE(oona::testing::connect(oona_.endpoints(), subscriber_));
  }

  oona::testing::OonaProcess oona_;
  oona::BusSubscriber subscriber_{oona::testing::subscriber_options(oona_.endpoints())};
};

// Starts the producer program built at `binary` ("producers/tolaria/tolaria") on `oona`'s runtime
// directory with `arguments`, and waits for its "<program> ready" line; null, with a test failure,
// if that does not come within 20 s.
inline std::unique_ptr<esper::testing::ChildProcess> start_producer(
    const std::string& binary, const oona::testing::OonaProcess& oona, const std::vector<std::string>& arguments,
    esper::testing::ChildProcess::Options options = {}) {
  const auto path = esper::testing::built_binary(binary);
  std::vector<std::string> argv = {path.string(), "--runtime-dir", oona.dir().path().string()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  auto child = std::make_unique<esper::testing::ChildProcess>(argv, std::move(options));
  const std::string ready = path.filename().string() + " ready";
  if (!child->wait_for_line(ready, std::chrono::seconds(20))) {
    ADD_FAILURE() << binary << " did not print \"" << ready << "\"";
    return nullptr;
  }
  return child;
}

}  // namespace esper::producers::testing

#endif  // ESPER_TESTS_PRODUCERS_PRODUCER_HARNESS_H_
