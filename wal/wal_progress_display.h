// Shows how far a long WAL read has got (Nissa's replay at start, `esper-wal verify` and `compact`),
// so that it does not look hung: on a terminal one line that updates in place; otherwise a log line
// every few seconds and one at the end; and, when given a status sink, a one-line status on every
// update (Nissa passes sd_notify's STATUS=). It is fed by read_wal's progress callback
// (WalReadOptions), so the reader checks the clock and the display only formats.
#ifndef ESPER_WAL_WAL_PROGRESS_DISPLAY_H_
#define ESPER_WAL_WAL_PROGRESS_DISPLAY_H_

#include <chrono>
#include <functional>
#include <ostream>
#include <string>

#include "wal/wal_reader.h"

namespace esper::wal {

// "41% (120.3 MiB of 293.0 MiB, 1203311 records, 52.1 MiB/s, 3 s left)"; when done
// "100% (293.0 MiB, 2911203 records in 5.6 s, 52.1 MiB/s)".
std::string describe_progress(const WalReadProgress& progress);

class WalProgressDisplay {
 public:
  using Sink = std::function<void(const std::string&)>;

  // `what` starts each line ("replaying WAL"). `terminal`: where to draw the updating line, or
  // nullptr to send lines to `log` instead, at most one per `log_every` plus the last.
  WalProgressDisplay(std::string what, std::ostream* terminal, Sink log,
                     std::chrono::milliseconds log_every = std::chrono::seconds(5));

  void set_status_sink(Sink status) { status_ = std::move(status); }

  // Options for read_wal that feed this display.
  WalReadOptions read_options();
  void show(const WalReadProgress& progress);

 private:
  std::string what_;
  std::ostream* terminal_;
  Sink log_;
  Sink status_;
  std::chrono::milliseconds log_every_;
  std::chrono::steady_clock::duration next_log_at_{};
};

}  // namespace esper::wal

#endif  // ESPER_WAL_WAL_PROGRESS_DISPLAY_H_
