#include "wal/file_ops.h"

#include <unistd.h>

namespace esper::wal {

ssize_t FileOps::pwrite(int fd, const void* data, std::size_t size, off_t offset) {
  return ::pwrite(fd, data, size, offset);
}
int FileOps::fdatasync(int fd) { return ::fdatasync(fd); }
int FileOps::fsync(int fd) { return ::fsync(fd); }
int FileOps::ftruncate(int fd, off_t length) { return ::ftruncate(fd, length); }

FileOps& posix_file_ops() {
  static FileOps ops;
  return ops;
}

}  // namespace esper::wal
