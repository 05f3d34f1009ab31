// A FileOps that fails on demand: ENOSPC on write (optionally after writing part of the buffer),
// EIO on fdatasync/fsync. Thread-safe: the group-commit flusher calls it from its own thread.
#ifndef ESPER_TESTS_SUPPORT_FAULT_FILE_OPS_H_
#define ESPER_TESTS_SUPPORT_FAULT_FILE_OPS_H_

#include <atomic>
#include <cerrno>

#include "wal/file_ops.h"

namespace esper::testing {

class FaultFileOps : public wal::FileOps {
 public:
  std::atomic<int> write_error{0};   // errno for every pwrite while non-zero.
  std::atomic<bool> partial_first{true};  // Write half the buffer before failing (a torn write).
  std::atomic<int> sync_error{0};    // errno for fdatasync/fsync while non-zero.
  std::atomic<int> write_failures{0};
  std::atomic<int> sync_failures{0};

  ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset) override {
    if (const int err = write_error.load()) {
      if (partial_first.exchange(false) && size > 1) return wal::FileOps::pwrite(fd, data, size / 2, offset);
      ++write_failures;
      errno = err;
      return -1;
    }
    return wal::FileOps::pwrite(fd, data, size, offset);
  }
  int fdatasync(int fd) override {
    if (const int err = sync_error.load()) {
      ++sync_failures;
      errno = err;
      return -1;
    }
    return wal::FileOps::fdatasync(fd);
  }
  int fsync(int fd) override {
    if (const int err = sync_error.load()) {
      ++sync_failures;
      errno = err;
      return -1;
    }
    return wal::FileOps::fsync(fd);
  }
};

}  // namespace esper::testing

#endif  // ESPER_TESTS_SUPPORT_FAULT_FILE_OPS_H_
