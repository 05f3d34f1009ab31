#include "wal/wal_progress_display.h"

#include <cstdio>

namespace esper::wal {
namespace {

std::string human_bytes(double bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  std::snprintf(text, sizeof text, unit == 0 ? "%.0f %s" : "%.1f %s", bytes, units[unit]);
  return text;
}

std::string seconds(double s) {
  char text[32];
  if (s < 10) {
    std::snprintf(text, sizeof text, "%.1f s", s);
  } else if (s < 3600) {
    std::snprintf(text, sizeof text, "%.0f s", s);
  } else {
    std::snprintf(text, sizeof text, "%.1f h", s / 3600);
  }
  return text;
}

}  // namespace

std::string describe_progress(const WalReadProgress& p) {
  const double elapsed = std::chrono::duration<double>(p.elapsed).count();
  const double rate = elapsed > 0 ? static_cast<double>(p.bytes_done) / elapsed : 0;
  const std::uint64_t percent = p.bytes_total == 0 ? 100 : p.bytes_done * 100 / p.bytes_total;
  std::string line = std::to_string(percent) + "% (";
  if (p.done) {
    line += human_bytes(static_cast<double>(p.bytes_total)) + ", " + std::to_string(p.records) + " records in " +
            seconds(elapsed);
  } else {
    line += human_bytes(static_cast<double>(p.bytes_done)) + " of " + human_bytes(static_cast<double>(p.bytes_total)) +
            ", " + std::to_string(p.records) + " records";
  }
  if (rate > 0) line += ", " + human_bytes(rate) + "/s";
  if (!p.done) {
    line += rate > 0 ? ", " + seconds(static_cast<double>(p.bytes_total - p.bytes_done) / rate) + " left"
                     : std::string(", time left unknown");
  }
  return line + ")";
}

WalProgressDisplay::WalProgressDisplay(std::string what, std::ostream* terminal, Sink log,
                                       std::chrono::milliseconds log_every)
    : what_(std::move(what)), terminal_(terminal), log_(std::move(log)), log_every_(log_every), next_log_at_(log_every) {}

WalReadOptions WalProgressDisplay::read_options() {
  WalReadOptions options;
  options.on_progress = [this](const WalReadProgress& p) { show(p); };
  // A terminal line moves smoothly; a log or a status line needs no more than one a second.
  options.progress_interval = std::chrono::milliseconds(terminal_ ? 250 : std::min<std::int64_t>(1000, log_every_.count()));
  return options;
}

void WalProgressDisplay::show(const WalReadProgress& p) {
  const std::string line = what_ + ": " + describe_progress(p);
  if (status_) status_(line);
  if (terminal_) {
    // \r and "erase to end of line" redraw the same line; the last one ends it.
    *terminal_ << '\r' << line << "\033[K" << (p.done ? "\n" : "") << std::flush;
    return;
  }
  if (!log_) return;
  if (p.done || p.elapsed >= next_log_at_) {
    log_(line);
    while (log_every_.count() > 0 && next_log_at_ <= p.elapsed) next_log_at_ += log_every_;
  }
}

}  // namespace esper::wal
