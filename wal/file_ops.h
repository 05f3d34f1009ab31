// The seam between the WAL writer and the file system: every write, sync and truncate the writer
// does goes through a FileOps, so tests can substitute one that fails with ENOSPC or EIO on demand
// and check that nothing acknowledged is lost and the writer recovers when the fault clears.
// Functions follow the syscall conventions: -1 and errno on failure.
#ifndef ESPER_WAL_FILE_OPS_H_
#define ESPER_WAL_FILE_OPS_H_

#include <sys/types.h>

#include <cstddef>

namespace esper::wal {

class FileOps {
 public:
  virtual ~FileOps() = default;
  virtual ssize_t pwrite(int fd, const void* data, std::size_t size, off_t offset);
  virtual int fdatasync(int fd);
  virtual int fsync(int fd);  // Used for directories and new segment files.
  virtual int ftruncate(int fd, off_t length);
};

// The real syscalls.
FileOps& posix_file_ops();

}  // namespace esper::wal

#endif  // ESPER_WAL_FILE_OPS_H_
