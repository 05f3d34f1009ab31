#include "wal/private_files.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <spdlog/spdlog.h>

namespace esper::wal {
namespace {

// Root creating something in a directory another user owns (an operator running esper-wal on the
// service's WAL) gives it to that user: a root-owned 0600 file there would be unreadable to the
// service, and a root-owned directory would keep it from deleting what it consumed.
void hand_to_directory_owner(int fd, const std::filesystem::path& dir) {
  if (::geteuid() != 0) return;
  struct stat parent {};
  if (::stat(dir.empty() ? "." : dir.c_str(), &parent) != 0 || parent.st_uid == 0) return;
  if (::fchown(fd, parent.st_uid, parent.st_gid) != 0) {
    spdlog::warn("could not give a new file in {} to its owner (uid {}): {}", dir.string(), parent.st_uid,
                 std::strerror(errno));
  }
}

// Makes the directory just created at `dir` 0700 whatever the umask, through a descriptor so that
// nothing swapped in meanwhile is followed.
Status finish_new_directory(const std::filesystem::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return errno_status(errno, "open new directory " + dir.string());
  const int rc = ::fchmod(fd, kPrivateDirectoryMode);
  const int err = errno;
  if (rc == 0) hand_to_directory_owner(fd, dir.parent_path());
  ::close(fd);
  if (rc != 0) return errno_status(err, "chmod " + dir.string());
  return {};
}

bool narrow(const std::filesystem::path& path) {
  struct stat before {};
  if (::lstat(path.c_str(), &before) != 0 || before.st_uid != ::geteuid()) return false;
  if ((before.st_mode & (S_IRWXG | S_IRWXO)) == 0) return false;
  if (!S_ISREG(before.st_mode) && !S_ISDIR(before.st_mode)) return false;  // Never opens a device or FIFO.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat now {};
  bool narrowed = false;
  if (::fstat(fd, &now) == 0 && now.st_ino == before.st_ino && now.st_dev == before.st_dev) {
    narrowed = ::fchmod(fd, now.st_mode & 07777 & ~static_cast<mode_t>(S_IRWXG | S_IRWXO)) == 0;
  }
  ::close(fd);
  return narrowed;
}

}  // namespace

Status create_private_directories(const std::filesystem::path& dir) {
  // The missing components, deepest first.
  std::vector<std::filesystem::path> missing;
  for (auto p = dir; !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::lstat(p.c_str(), &st) == 0) break;
    if (errno != ENOENT) return errno_status(errno, "stat " + p.string());
    missing.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    if (::mkdir(it->c_str(), kPrivateDirectoryMode) != 0) {
      if (errno == EEXIST) continue;  // Someone else (another thread, esper-wal) made it meanwhile.
      return errno_status(errno, "create directory " + it->string());
    }
    if (Status s = finish_new_directory(*it); !s.ok()) return s;
  }
  return {};
}

int create_private_file(const std::filesystem::path& path, int flags) {
  // O_NOFOLLOW: a symbolic link planted under the name is refused, never written through.
  const int fd = ::open(path.c_str(), flags | O_CREAT | O_NOFOLLOW | O_CLOEXEC, kPrivateFileMode);
  if (fd >= 0) hand_to_directory_owner(fd, path.parent_path());
  return fd;
}

std::uint64_t narrow_to_private(const std::filesystem::path& root) {
  std::uint64_t narrowed = narrow(root) ? 1 : 0;
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
    if (narrow(it->path())) ++narrowed;
  }
  if (narrowed > 0) {
    spdlog::warn("{}: removed group and other access from {} file(s) and directories created before Esper kept "
                 "its state private (now owner-only, as new ones are)",
                 root.string(), narrowed);
  }
  return narrowed;
}

}  // namespace esper::wal
