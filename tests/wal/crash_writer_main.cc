// Test helper for the crash test: appends records to a WAL in `group` mode from several threads
// and prints each record's id on stdout (one line, flushed) only once wait_durable() said it is
// durable. Runs until killed. Payload: "<id>|" followed by a filler derived from the id, so the
// parent can check that every record it reads back is exactly what was written. Its logs (the
// repair of a torn tail) go to stderr, as every Esper process's do: stdout carries ids only.
//   wal_crash_writer DIR
#include <unistd.h>

#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "logging/log_setup.h"
#include "wal/wal_writer.h"
#include "tests/wal/crash_record.h"

int main(int argc, char** argv) {
  namespace fr = esper::wal;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  esper::logging::setup_logging("wal_crash_writer");
  fr::WalWriterOptions options;
  options.dir = argv[1];
  options.durability = fr::Durability::kGroup;
  options.segment_size = 256 * 1024;  // Small, so roll-over happens under the kill too.
  fr::Status status;
  auto writer = fr::WalWriter::open(options, &status);
  if (!writer) {
    std::fprintf(stderr, "crash_writer: %s\n", status.message().c_str());
    return 1;
  }
  std::mutex out_mu;
  const std::string prefix = std::to_string(::getpid());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (std::uint64_t n = 0;; ++n) {
        const std::string id = prefix + "-" + std::to_string(t) + "-" + std::to_string(n);
        fr::Lsn lsn;
        if (!writer->append(1, esper::testing::crash_payload(id), &lsn).ok()) return;
        if (!writer->wait_durable(lsn).ok()) return;
        std::lock_guard lock(out_mu);
        std::fprintf(stdout, "%s\n", id.c_str());
        std::fflush(stdout);
      }
    });
  }
  for (auto& th : threads) th.join();
  return 1;  // Only reached when an append failed.
}
