// CPU scheduling for the threads that carry emergency traffic.
//
// An emergency hops through several threads on its way: the publisher's ZeroMQ I/O thread, Oona's
// emergency lane and its I/O thread, the subscriber's I/O thread and the thread that reads it. Each
// hop is a wake-up. Separate sockets and threads keep the emergency lane out of the normal lane's
// queues; only the scheduler can keep it out of the normal lane's CPU time. Measured on two cores
// with the normal lane saturating both (bench/oona): a woken thread of the default class waits for
// a CPU ~1 ms at the 99th percentile per hop, several milliseconds end to end.
//
// So emergency threads
//   1. run SCHED_FIFO at a modest real-time priority, where allowed (CAP_SYS_NICE, or RLIMIT_RTPRIO
//      at least that high: systemd's LimitRTPRIO=). They sleep in poll and do a bounded amount of
//      work per wake-up, and the kernel's real-time throttling still reserves CPU for the rest.
//      Failing that they ask for a short EEVDF slice (sched_setattr's sched_runtime, Linux 6.12+),
//      which needs no privilege and gives no more CPU, only earlier preemption on wake-up: it helps,
//      much less;
//   2. share one CPU, by default the last one the process may run on, the same in every process.
//      Real-time wake-ups otherwise go to whichever CPU is idle, and waking an idle CPU (a halted
//      vCPU in a VM) costs more than the whole hop: on an idle two-core VM, unpinned real-time
//      threads doubled the emergency latency of default ones; pinned, they match them.
// Policy and affinity are inherited by threads created afterwards; ZeroMQ starts a context's I/O
// threads when its first socket is made, so start_emergency_io_threads() makes that first socket
// from a short-lived thread in the emergency class.
#ifndef ESPER_OONA_EMERGENCY_SCHEDULING_H_
#define ESPER_OONA_EMERGENCY_SCHEDULING_H_

#include <string>

#include <zmq.hpp>

namespace esper::oona {

// Config section `emergency_scheduling:` of every bus user (oona/bus_location_config.h).
struct EmergencySchedulingConfig {
  static constexpr int kAutoCpu = -1;  // The last CPU the process may run on.
  static constexpr int kNoCpu = -2;    // Not pinned.

  int realtime_priority = 10;  // SCHED_FIFO priority 1..99; 0: no real-time.
  int cpu = kAutoCpu;          // A CPU number, kAutoCpu or kNoCpu.
};

// What a thread obtained.
struct EmergencyScheduling {
  enum class Class { kRealtime, kShortSlice, kDefault };
  Class obtained = Class::kDefault;
  int priority = 0;    // With kRealtime.
  int cpu = -1;        // The CPU it is pinned to; -1: none.
  std::string detail;  // What was refused, e.g. "SCHED_FIFO 10: Operation not permitted".

  bool realtime() const { return obtained == Class::kRealtime; }
  std::string describe() const;  // E.g. "SCHED_FIFO priority 10 on CPU 1".
};

// Puts the calling thread into the emergency class (see the top of this file).
EmergencyScheduling enter_emergency_scheduling(const EmergencySchedulingConfig& config);

// Starts `context`'s I/O threads (it must have none yet) from a short-lived thread that entered
// the emergency class, so that they inherit it; the caller's own thread is untouched.
EmergencyScheduling start_emergency_io_threads(zmq::context_t& context,
                                               const EmergencySchedulingConfig& config);

}  // namespace esper::oona

#endif  // ESPER_OONA_EMERGENCY_SCHEDULING_H_
