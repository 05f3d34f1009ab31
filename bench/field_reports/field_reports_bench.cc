// Prints durable appends/s of 256-byte records with fsync-per-append and with group commit (many
// concurrent appenders, each told only after the shared fsync), their ratio, and replay MB/s.
//   field_reports_bench [--dir DIR] [--seconds S] [--threads N] [--window N] [--smoke]
// Every record counted as durable had its wait_durable() return ok. Replay reads files that are
// likely in the page cache (they were just written): it measures parsing + checksums + read().
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "bench/bench_scratch_dir.h"
#include "wal/wal_reader.h"
#include "wal/wal_writer.h"

namespace wal = esper::wal;
using Clock = std::chrono::steady_clock;

namespace {

std::unique_ptr<wal::WalWriter> open_wal(const std::filesystem::path& dir, wal::Durability durability) {
  std::filesystem::remove_all(dir);
  wal::WalWriterOptions options;
  options.dir = dir;
  options.durability = durability;
  wal::Status status;
  auto writer = wal::WalWriter::open(options, &status);
  if (!writer) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), status.message().c_str());
    std::exit(1);
  }
  return writer;
}

// `threads` appenders; each keeps `window` records in flight (append, then wait for the oldest).
// Returns durable records per second.
double durable_rate(const std::filesystem::path& dir, wal::Durability durability, int threads, int window,
                    double seconds, std::uint64_t* syncs) {
  auto writer = open_wal(dir, durability);
  const std::string payload(256, 'r');
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> durable{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      std::vector<wal::Lsn> in_flight;
      std::uint64_t mine = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        wal::Lsn lsn;
        if (!writer->append(1, payload, &lsn).ok()) { failed = true; return; }
        in_flight.push_back(lsn);
        if (static_cast<int>(in_flight.size()) >= window) {
          if (!writer->wait_durable(in_flight.back()).ok()) { failed = true; return; }
          mine += in_flight.size();  // Durability is in order: the last covers all before it.
          in_flight.clear();
        }
      }
      if (!in_flight.empty() && writer->wait_durable(in_flight.back()).ok()) mine += in_flight.size();
      durable += mine;
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& w : workers) w.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  if (failed) {
    std::fprintf(stderr, "append failed\n");
    std::exit(1);
  }
  *syncs = writer->stats().syncs;
  return static_cast<double>(durable.load()) / elapsed;
}

double replay_mb_per_s(const std::filesystem::path& dir, std::uint64_t bytes_to_write, std::uint64_t* records) {
  {
    auto writer = open_wal(dir, wal::Durability::kNone);
    const std::string payload(256, 'p');
    for (std::uint64_t written = 0; written < bytes_to_write; written += payload.size() + wal::kRecordHeaderSize) {
      if (!writer->append(1, payload).ok()) std::exit(1);
    }
  }
  double best = 0;
  for (int round = 0; round < 3; ++round) {  // Best of three: the first may still hit the disk.
    wal::WalReadSummary summary;
    std::uint64_t payload_bytes = 0;
    const auto start = Clock::now();
    if (!wal::read_wal(dir, [&](const wal::WalRecord& r) { payload_bytes += r.payload.size(); }, &summary).ok()) std::exit(1);
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    best = std::max(best, static_cast<double>(summary.bytes) / 1e6 / elapsed);
    *records = summary.records;
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"field_reports WAL benchmark"};
  std::string dir_arg;
  double seconds = 3;
  int threads = 64;
  int window = 16;
  bool smoke = false;
  app.add_option("--dir", dir_arg, "Scratch directory (default: a new one under $TMPDIR or /tmp)");
  app.add_option("--seconds", seconds, "Seconds per measurement");
  app.add_option("--threads", threads, "Concurrent appenders in group mode");
  app.add_option("--window", window, "Records each group-mode appender keeps in flight");
  app.add_flag("--smoke", smoke, "Run briefly (CI)");
  CLI11_PARSE(app, argc, argv);
  if (smoke) seconds = 0.2;

  const esper::bench::ScratchDir dir("esper-wal-bench", dir_arg);

  std::uint64_t syncs = 0;
  const double fsync_rate = durable_rate(dir / "fsync", wal::Durability::kFsync, 1, 1, seconds, &syncs);
  std::printf("fsync mode:  %10.0f durable appends/s (256-byte records, 1 appender, %llu fsyncs)\n", fsync_rate,
              static_cast<unsigned long long>(syncs));
  const double group_sync_rate = durable_rate(dir / "group1", wal::Durability::kGroup, threads, 1, seconds, &syncs);
  std::printf("group mode:  %10.0f durable appends/s (%d appenders, each waiting for every record, %llu fsyncs)\n",
              group_sync_rate, threads, static_cast<unsigned long long>(syncs));
  const double group_rate = durable_rate(dir / "group", wal::Durability::kGroup, threads, window, seconds, &syncs);
  std::printf("group mode:  %10.0f durable appends/s (%d appenders, %d records in flight each, %llu fsyncs)\n",
              group_rate, threads, window, static_cast<unsigned long long>(syncs));
  std::printf("group/fsync: %10.1fx (blocking appenders %.1fx)\n", group_rate / fsync_rate,
              group_sync_rate / fsync_rate);

  std::uint64_t records = 0;
  const double replay = replay_mb_per_s(dir / "replay", smoke ? (8ull << 20) : (512ull << 20), &records);
  std::printf("replay:      %10.0f MB/s (%llu records, page cache warm)\n", replay,
              static_cast<unsigned long long>(records));
  return 0;
}
