// What esper-load prints at the end, for people sizing a deployment and for the pipeline benchmark
// that drives load with it. Both forms are stable: fields are only ever added, never renamed.
//
// Text (stdout without --json):
//   esper-load: 2 producers, 100 series, 500 points per envelope, target 0 points/s (as fast as possible)
//   recorded  1234567 points in 5.002 s (246813 points/s)
//   sent      1234567 points (246813 points/s handed to the bus)
//   dropped         0 points (0.000 %)
//   unsent          0 points (left in the buffers at exit)
//
// JSON (stdout with --json, one line):
//   {"producers":2,"series":100,"points_per_envelope":500,"target_points_per_second":0,
//    "elapsed_s":5.002,"recorded":1234567,"sent":1234567,"dropped":0,"unsent":0,
//    "recorded_per_second":246813.1,"sent_per_second":246813.1,"dropped_ratio":0}
//
// recorded = sent + dropped + unsent. sent: points handed to the bus (accepted by the publisher's
// socket); dropped: pushed out of a full buffer; unsent: still buffered at exit because the bus
// refused them. elapsed_s is the longest producer's, from its first point to its last drain.
#ifndef ESPER_PRODUCERS_LOAD_LOAD_REPORT_H_
#define ESPER_PRODUCERS_LOAD_LOAD_REPORT_H_

#include <cstdint>
#include <string>

namespace esper::producers::load {

// One producer's counts, or their sum. Plain data: forked producers send it to their parent.
struct LoadCounts {
  std::uint64_t recorded = 0;
  std::uint64_t sent = 0;
  std::uint64_t dropped = 0;
  std::uint64_t unsent = 0;
  double elapsed_s = 0;

  LoadCounts& operator+=(const LoadCounts& other);  // Sums the counts; the longest elapsed_s.
};

struct LoadReport {
  int producers = 1;
  std::uint32_t series = 0;
  std::uint64_t points_per_envelope = 0;
  double target_points_per_second = 0;
  LoadCounts counts;
};

std::string format_text(const LoadReport& report);
std::string format_json(const LoadReport& report);  // One line, no newline.

}  // namespace esper::producers::load

#endif  // ESPER_PRODUCERS_LOAD_LOAD_REPORT_H_
