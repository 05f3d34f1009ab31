// What /proc says about the threads of a process: name, scheduling policy and allowed CPUs. Tests
// use it to check where emergency threads actually run, not what the code asked for.
#ifndef ESPER_TESTS_SUPPORT_THREAD_INFO_H_
#define ESPER_TESTS_SUPPORT_THREAD_INFO_H_

#include <sched.h>
#include <sys/types.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace esper::testing {

struct ThreadInfo {
  pid_t tid = 0;
  std::string name;          // /proc/…/comm
  int policy = -1;           // SCHED_OTHER, SCHED_FIFO, …
  int rt_priority = 0;
  std::string allowed_cpus;  // Cpus_allowed_list, e.g. "0-1" or "1".
};

inline ThreadInfo read_thread(pid_t pid, pid_t tid) {
  const std::filesystem::path dir =
      "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid);
  ThreadInfo info;
  info.tid = tid;
  std::getline(std::ifstream(dir / "comm"), info.name);
  std::string stat;
  std::getline(std::ifstream(dir / "stat"), stat);
  // Fields after "pid (comm)" start at field 3 (state); rt_priority is field 40, policy field 41.
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::vector<std::string> values;
  for (std::string v; fields >> v;) values.push_back(v);
  if (values.size() >= 39) {
    info.rt_priority = std::stoi(values[40 - 3]);
    info.policy = std::stoi(values[41 - 3]);
  }
  std::ifstream status(dir / "status");
  for (std::string line; std::getline(status, line);) {
    constexpr std::string_view kKey = "Cpus_allowed_list:";
    if (line.rfind(kKey, 0) == 0) {
      info.allowed_cpus = line.substr(line.find_first_not_of(" \t", kKey.size()));
    }
  }
  return info;
}

inline std::vector<ThreadInfo> threads_of(pid_t pid) {
  std::vector<ThreadInfo> threads;
  std::error_code error;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task", error)) {
    threads.push_back(read_thread(pid, std::stoi(entry.path().filename().string())));
  }
  return threads;
}

// The highest-numbered CPU the calling thread may run on.
inline int last_allowed_cpu() {
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  int last = -1;
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &set)) last = c;
  }
  return last;
}

}  // namespace esper::testing

#endif  // ESPER_TESTS_SUPPORT_THREAD_INFO_H_
