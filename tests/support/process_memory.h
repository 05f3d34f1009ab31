// How much memory a process holds, for tests that check a bound: VmRSS from /proc/PID/status.
#ifndef ESPER_TESTS_SUPPORT_PROCESS_MEMORY_H_
#define ESPER_TESTS_SUPPORT_PROCESS_MEMORY_H_

#include <sys/types.h>

#include <fstream>
#include <string>

namespace esper::testing {

// VmRSS of `pid` in KiB; -1 if it cannot be read.
inline long rss_kib(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(status, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

}  // namespace esper::testing

#endif  // ESPER_TESTS_SUPPORT_PROCESS_MEMORY_H_
