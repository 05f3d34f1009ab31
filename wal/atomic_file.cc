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

}  // namespace

Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes) {
  auto tmp = path;
  tmp += ".new";
  const int fd = create_private_file(tmp, O_WRONLY | O_TRUNC);
  if (fd < 0) return errno_status(errno, "create " + tmp.string());
  auto fail = [&](const std::string& what) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return errno_status(err, what + " " + tmp.string());
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write");
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) return fail("fsync");
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return errno_status(err, "rename " + tmp.string());
  }
  return fsync_directory(path.parent_path());
}

}  // namespace esper::wal
