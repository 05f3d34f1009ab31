#include "oona/emergency_scheduling.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <thread>

namespace esper::oona {
namespace {

// The slice asked for without real-time (the kernel accepts 0.1 ms to 100 ms).
constexpr std::uint64_t kShortSliceNs = 100'000;

// struct sched_attr from the kernel's uapi; Debian 12's glibc does not declare it.
struct SchedAttr {
  std::uint32_t size;
  std::uint32_t sched_policy;
  std::uint64_t sched_flags;
  std::int32_t sched_nice;
  std::uint32_t sched_priority;
  std::uint64_t sched_runtime;
  std::uint64_t sched_deadline;
  std::uint64_t sched_period;
  std::uint32_t sched_util_min;
  std::uint32_t sched_util_max;
};

void append(std::string& detail, const std::string& what) {
  if (!detail.empty()) detail += "; ";
  detail += what;
}

// Pins the calling thread to `wanted` (or the last allowed CPU); returns the CPU, or -1.
int pin(int wanted, std::string& detail) {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) {
    append(detail, std::string("CPU affinity: ") + std::strerror(errno));
    return -1;
  }
  int cpu = wanted;
  if (cpu == EmergencySchedulingConfig::kAutoCpu) {
    for (int c = 0; c < CPU_SETSIZE; ++c) {
      if (CPU_ISSET(c, &allowed)) cpu = c;
    }
  }
  if (cpu < 0 || cpu >= CPU_SETSIZE || !CPU_ISSET(cpu, &allowed)) {
    append(detail, "CPU " + std::to_string(wanted) + " is not one this process may run on");
    return -1;
  }
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(cpu, &one);
  if (sched_setaffinity(0, sizeof one, &one) != 0) {
    append(detail, "CPU " + std::to_string(cpu) + ": " + std::strerror(errno));
    return -1;
  }
  return cpu;
}

}  // namespace

std::string EmergencyScheduling::describe() const {
  std::string s = obtained == Class::kRealtime   ? "SCHED_FIFO priority " + std::to_string(priority)
                  : obtained == Class::kShortSlice ? std::string("a short scheduler slice")
                                                   : std::string("default scheduling");
  if (cpu >= 0) s += " on CPU " + std::to_string(cpu);
  if (!detail.empty()) s += " (" + detail + ")";
  return s;
}

EmergencyScheduling enter_emergency_scheduling(const EmergencySchedulingConfig& config) {
  EmergencyScheduling result;
  if (config.cpu != EmergencySchedulingConfig::kNoCpu) result.cpu = pin(config.cpu, result.detail);

  const int policy = sched_getscheduler(0);
  if (policy == SCHED_FIFO || policy == SCHED_RR) {  // Already real-time (chrt, systemd): keep it.
    sched_param current{};
    sched_getparam(0, &current);
    result.obtained = EmergencyScheduling::Class::kRealtime;
    result.priority = current.sched_priority;
    return result;
  }
  if (config.realtime_priority > 0) {
    sched_param param{};
    param.sched_priority = config.realtime_priority;
    if (sched_setscheduler(0, SCHED_FIFO, &param) == 0) {
      result.obtained = EmergencyScheduling::Class::kRealtime;
      result.priority = config.realtime_priority;
      return result;
    }
    append(result.detail,
           "SCHED_FIFO " + std::to_string(config.realtime_priority) + ": " + std::strerror(errno));
  }
  if (policy != SCHED_OTHER && policy != SCHED_BATCH) return result;  // SCHED_IDLE: leave it be.
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, 0);  // This thread's nice value (-1 is a valid one).
  if (errno != 0) return result;
  SchedAttr attr{};
  attr.size = sizeof attr;
  attr.sched_policy = static_cast<std::uint32_t>(policy);
  attr.sched_nice = nice;
  attr.sched_runtime = kShortSliceNs;
  if (syscall(SYS_sched_setattr, 0, &attr, 0) == 0) {
    result.obtained = EmergencyScheduling::Class::kShortSlice;
  } else {
    append(result.detail, std::string("short slice: ") + std::strerror(errno));
  }
  return result;
}

EmergencyScheduling start_emergency_io_threads(zmq::context_t& context,
                                               const EmergencySchedulingConfig& config) {
  EmergencyScheduling result;
  std::thread starter([&] {
    result = enter_emergency_scheduling(config);
    zmq::socket_t first(context, zmq::socket_type::pair);  // Starts the I/O threads, which inherit.
  });
  starter.join();
  return result;
}

}  // namespace esper::oona
