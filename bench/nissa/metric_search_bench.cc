// What the dashboard's metric search costs with 100k series (1,000 names x 100 sources), and what
// it costs ingest: an ingest thread adds points under the state lock, as Nissa's observer does,
// and times every wait for that lock, while searches run back to back beside it, in three phases:
//   idle    no searches (the baseline of the waits);
//   index   /api/v1/metrics/search as Nissa serves it (nissa/serve/metric_search.h): an index caught
//           up a slice at a time under the lock, searched under its own;
//   scan    the way it was before the index, for comparison: every series walked under the lock on
//           every search.
// Prints search latencies (median, p99, max), the first search's (which indexes every series) and
// the ingest thread's lock waits (p99, max) and rate per phase. Not a test.
//
//   nissa_metric_search_bench            100k series, 3 s phases
//   nissa_metric_search_bench --smoke    10k series, short phases, for CI to know it still works
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nissa/serve/metric_search.h"
#include "nissa/store/metric_aggregator.h"
#include "proto/metric_point.h"

namespace {

using namespace esper;
using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double, std::milli>(b - a).count(); }

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())))];
}

struct Store {
  std::mutex mu;  // The observer's state lock.
  nissa::MetricAggregator aggregator;
};

std::string name_of(int n) { return "bench.metric_" + std::to_string(1000 + n); }
std::string source_of(int s) { return "producer-" + std::to_string(s); }

// Adds points to the existing series, 16 per lock, until `stop`; every wait for the lock is timed.
struct IngestResult {
  std::vector<double> waits_ms;
  std::uint64_t points = 0;
  double seconds = 0;
};
IngestResult ingest_until(Store& store, int names, int sources, const std::atomic<bool>& stop) {
  IngestResult r;
  std::vector<proto::MetricPoint> points;
  for (int n = 0; n < 64; ++n) points.push_back(proto::make_point(name_of(n * names / 64), 1.0, "ms"));
  const auto start = Clock::now();
  std::int64_t t = 1'700'000'000'000;
  std::size_t i = 0;
  while (!stop.load(std::memory_order_relaxed)) {
    const auto before = Clock::now();
    std::lock_guard lock(store.mu);
    r.waits_ms.push_back(ms_between(before, Clock::now()));
    for (int k = 0; k < 16; ++k, ++i) {
      store.aggregator.add(source_of(static_cast<int>(i % static_cast<std::size_t>(sources))), points[i % points.size()], t++);
    }
    r.points += 16;
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return r;
}

// The search as it was before the name index: every series, under the lock, on every request.
std::size_t scan_search(Store& store, const std::string& needle) {
  std::lock_guard lock(store.mu);
  std::map<std::pair<std::string, std::string>, std::size_t> found;
  std::set<std::string> sources;
  store.aggregator.for_each([&](const nissa::Series& s) {
    sources.insert(s.key.source);
    std::string lowered = s.key.name;
    std::transform(lowered.begin(), lowered.end(), lowered.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (!needle.empty() && lowered.find(needle) == std::string::npos) return;
    ++found[{s.key.name, s.key.source}];
  });
  return found.size();
}

const std::vector<std::string> kQueries = {"", "metric_15", "7", "BENCH.METRIC_1999", "nothing-matches"};

struct Phase {
  std::vector<double> search_ms;
  IngestResult ingest;
};

template <typename Search>
Phase run_phase(Store& store, int names, int sources, double seconds, Search&& search) {
  std::atomic<bool> stop{false};
  Phase phase;
  std::thread ingest([&] { phase.ingest = ingest_until(store, names, sources, stop); });
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  for (std::size_t i = 0; Clock::now() < end; ++i) {
    const auto before = Clock::now();
    if (!search(kQueries[i % kQueries.size()], i)) {  // An idle phase: nothing to search.
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    phase.search_ms.push_back(ms_between(before, Clock::now()));
  }
  stop = true;
  ingest.join();
  return phase;
}

void print_phase(const char* name, const Phase& p) {
  std::printf("  %-6s searches: %6zu  median %7.3f ms  p99 %7.3f ms  max %7.3f ms | ingest: %9.0f points/s, "
              "lock wait p99 %7.3f ms, max %7.3f ms\n",
              name, p.search_ms.size(), percentile(p.search_ms, 0.5), percentile(p.search_ms, 0.99),
              percentile(p.search_ms, 1.0), static_cast<double>(p.ingest.points) / p.ingest.seconds,
              percentile(p.ingest.waits_ms, 0.99), percentile(p.ingest.waits_ms, 1.0));
}

}  // namespace

int main(int argc, char** argv) {
  const bool smoke = argc > 1 && std::strcmp(argv[1], "--smoke") == 0;
  const int names = 1000, sources = smoke ? 10 : 100;
  const double seconds = smoke ? 0.3 : 3.0;
  Store store;
  for (int n = 0; n < names; ++n) {
    const proto::MetricPoint p = proto::make_point(name_of(n), 1.0, "ms");
    for (int s = 0; s < sources; ++s) store.aggregator.add(source_of(s), p, 1'700'000'000'000);
  }
  std::printf("metric search: %zu series (%d names x %d sources)\n", store.aggregator.series_count(), names, sources);

  nissa::MetricSearch search([&](const nissa::MetricNameIndex& index, std::size_t max) {
    std::lock_guard lock(store.mu);
    return index.unread_series(store.aggregator, max);
  });
  const auto page = [&](const std::string& q, std::size_t i) {
    const nissa::QueryReply r = search.reply({{"q", q}, {"offset", std::to_string(i % 7 * 50)}, {"limit", "50"}});
    if (r.status != 200) {
      std::fprintf(stderr, "search failed: %s\n", r.body.c_str());
      std::exit(1);
    }
    return true;
  };
  const auto first = Clock::now();
  page("", 0);
  std::printf("  first search (indexes every series, %zu per lock): %.1f ms\n", nissa::MetricSearch::kSeriesPerSlice,
              ms_between(first, Clock::now()));

  print_phase("idle", run_phase(store, names, sources, seconds, [](const std::string&, std::size_t) { return false; }));
  print_phase("index", run_phase(store, names, sources, seconds, page));
  std::size_t sink = 0;
  print_phase("scan", run_phase(store, names, sources, seconds, [&](const std::string& q, std::size_t) {
                sink += scan_search(store, q);
                return true;
              }));
  return sink == 0 ? 1 : 0;
}
