#include "wal/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "wal/private_files.h"

namespace esper::wal {
namespace {

Status fsync_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open directory " + dir.string());
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0) return errno_status(err, "fsync directory " + dir.string());
  return {};
}

bool write_all(int fd, std::string_view bytes, FileOps& ops) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ops.pwrite(fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      if (n == 0) errno = EIO;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

int create_whole_file(const std::filesystem::path& temporary, const std::filesystem::path& path,
                      std::string_view bytes, FileOps& ops, const std::string& name, Status* status) {
  const int fd = create_private_file(temporary, O_WRONLY | O_TRUNC);
  if (fd < 0) {
    *status = errno_status(errno, "create " + name);
    return -1;
  }
  const char* failed = nullptr;
  if (!write_all(fd, bytes, ops)) {
    failed = "write ";
  } else if (ops.fsync(fd) != 0) {
    failed = "fsync ";
  } else if (::rename(temporary.c_str(), path.c_str()) != 0) {
    failed = "rename ";
  }
  if (!failed) return fd;
  const int err = errno;
  ::close(fd);
  ::unlink(temporary.c_str());
  *status = errno_status(err, failed + name);
  return -1;
}

Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  auto tmp = path;
  tmp += ".new";
  Status status;
  const int fd = create_whole_file(tmp, path, bytes, posix_file_ops(), tmp.string(), &status);
  if (fd < 0) return status;
  ::close(fd);
  return fsync_directory(path.parent_path());
}

}  // namespace esper::wal
