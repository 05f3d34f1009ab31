#include "producers/load/load_report.h"

#include <algorithm>
#include <cstdio>

namespace esper::producers::load {

namespace {

double per_second(std::uint64_t n, double seconds) { return seconds > 0 ? static_cast<double>(n) / seconds : 0; }

double dropped_ratio(const LoadCounts& c) {
  return c.recorded > 0 ? static_cast<double>(c.dropped) / static_cast<double>(c.recorded) : 0;
}

}  // namespace

LoadCounts& LoadCounts::operator+=(const LoadCounts& other) {
  recorded += other.recorded;
  sent += other.sent;
  dropped += other.dropped;
  unsent += other.unsent;
  elapsed_s = std::max(elapsed_s, other.elapsed_s);
  return *this;
}

std::string format_text(const LoadReport& r) {
  const LoadCounts& c = r.counts;
  char target[64];
  if (r.target_points_per_second > 0) {
    std::snprintf(target, sizeof target, "%.0f points/s", r.target_points_per_second);
  } else {
    std::snprintf(target, sizeof target, "0 points/s (as fast as possible)");
  }
  char text[1024];
  std::snprintf(text, sizeof text,
                "esper-load: %d producer%s, %u series, %llu points per envelope, target %s\n"
                "recorded %10llu points in %.3f s (%.0f points/s)\n"
                "sent     %10llu points (%.0f points/s handed to the bus)\n"
                "dropped  %10llu points (%.3f %%)\n"
                "unsent   %10llu points (left in the buffers at exit)\n",
                r.producers, r.producers == 1 ? "" : "s", r.series,
                static_cast<unsigned long long>(r.points_per_envelope), target,
                static_cast<unsigned long long>(c.recorded), c.elapsed_s, per_second(c.recorded, c.elapsed_s),
                static_cast<unsigned long long>(c.sent), per_second(c.sent, c.elapsed_s),
                static_cast<unsigned long long>(c.dropped), 100.0 * dropped_ratio(c),
                static_cast<unsigned long long>(c.unsent));
  return text;
}

std::string format_json(const LoadReport& r) {
  const LoadCounts& c = r.counts;
  char json[1024];
  std::snprintf(json, sizeof json,
                "{\"producers\":%d,\"series\":%u,\"points_per_envelope\":%llu,\"target_points_per_second\":%.17g,"
                "\"elapsed_s\":%.6f,\"recorded\":%llu,\"sent\":%llu,\"dropped\":%llu,\"unsent\":%llu,"
                "\"recorded_per_second\":%.1f,\"sent_per_second\":%.1f,\"dropped_ratio\":%.6g}",
                r.producers, r.series, static_cast<unsigned long long>(r.points_per_envelope),
                r.target_points_per_second, c.elapsed_s, static_cast<unsigned long long>(c.recorded),
                static_cast<unsigned long long>(c.sent), static_cast<unsigned long long>(c.dropped),
                static_cast<unsigned long long>(c.unsent), per_second(c.recorded, c.elapsed_s),
                per_second(c.sent, c.elapsed_s), dropped_ratio(c));
  return json;
}

}  // namespace esper::producers::load
