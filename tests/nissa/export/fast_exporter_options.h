// Exporter options for tests against a receiver on loopback: a short timeout and retries 10-50 ms
// apart, so a scripted failure is retried within the test's patience.
#ifndef ESPER_TESTS_NISSA_EXPORT_FAST_EXPORTER_OPTIONS_H_
#define ESPER_TESTS_NISSA_EXPORT_FAST_EXPORTER_OPTIONS_H_

#include <chrono>
#include <string>

#include "nissa/export/exporter.h"

namespace esper::nissa::testing {

inline ExporterOptions fast_exporter_options(std::string name, std::string url) {
  using namespace std::chrono_literals;
  ExporterOptions o;
  o.name = std::move(name);
  o.url = std::move(url);
  o.timeout = 2s;
  o.min_backoff = 10ms;
  o.max_backoff = 50ms;
  return o;
}

}  // namespace esper::nissa::testing

#endif  // ESPER_TESTS_NISSA_EXPORT_FAST_EXPORTER_OPTIONS_H_
