// How much memory a process holds, for tests that check a bound: VmRSS (now) and VmHWM (the peak,
// where a buffer read and freed again still shows) from /proc/PID/status.
#ifndef ESPER_TESTS_SUPPORT_PROCESS_MEMORY_H_
#define ESPER_TESTS_SUPPORT_PROCESS_MEMORY_H_

#include <sys/types.h>

#include <fstream>
#include <string>

namespace esper::testing {

// The `field` ("VmRSS:") of `pid`'s status in KiB; -1 if it cannot be read.
inline long status_kib(pid_t pid, const std::string& field) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(field.size()));
  }
  return -1;
}

// VmRSS of `pid` in KiB; -1 if it cannot be read.
inline long rss_kib(pid_t pid) { return status_kib(pid, "VmRSS:"); }
// VmHWM (peak resident memory) of `pid` in KiB; -1 if it cannot be read.
inline long peak_rss_kib(pid_t pid) { return status_kib(pid, "VmHWM:"); }

}  // namespace esper::testing

#endif  // ESPER_TESTS_SUPPORT_PROCESS_MEMORY_H_
