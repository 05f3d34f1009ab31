#include "daemon/private_directory.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>

#include <spdlog/spdlog.h>

#include "daemon/file_mode_text.h"

namespace esper::daemon {
void ensure_private_directory(const std::filesystem::path& dir, mode_t mode) {
  const std::string name = dir.string();
  if (dir.has_parent_path() && dir.parent_path() != dir) std::filesystem::create_directories(dir.parent_path());
  if (::mkdir(dir.c_str(), mode) == 0) {
    // mkdir applied the umask; the mode asked for is the mode meant.
    if (::chmod(dir.c_str(), mode) != 0) throw std::system_error(errno, std::generic_category(), "chmod " + name);
    return;
  }
  if (errno != EEXIST) throw std::system_error(errno, std::generic_category(), "create directory " + name);

  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) throw std::system_error(errno, std::generic_category(), "stat " + name);
  if (S_ISLNK(st.st_mode)) {
    throw UnsafeDirectoryError(name + " is a symbolic link; refusing to use it as a private directory (remove it)");
  }
  if (!S_ISDIR(st.st_mode)) throw UnsafeDirectoryError(name + " exists and is not a directory");
  if (st.st_uid != ::geteuid()) {
    throw UnsafeDirectoryError(name + " is owned by uid " + std::to_string(st.st_uid) + ", not by this user (uid " +
                               std::to_string(::geteuid()) + "); another user may have created it to intercept " +
                               "the bus. Remove it, or point runtime_dir / --runtime-dir elsewhere");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    throw UnsafeDirectoryError(name + " has mode " + octal_mode(st.st_mode) +
                               ": others may write to it, so its sockets or files may already have been replaced. " +
                               "Remove it (or chmod " + octal_mode(mode) + " it if you are sure) and start again");
  }
  // Group read stays (systemd's RuntimeDirectoryMode=0750 shares the bus with the esper group);
  // what others may read or enter goes.
  if ((st.st_mode & S_IRWXO) != 0) {
    const mode_t narrowed = st.st_mode & 07777 & ~static_cast<mode_t>(S_IRWXO);
    if (::chmod(dir.c_str(), narrowed) != 0) throw std::system_error(errno, std::generic_category(), "chmod " + name);
    spdlog::info("narrowed the mode of {} from {} to {}", name, octal_mode(st.st_mode), octal_mode(narrowed));
  }
}

}  // namespace esper::daemon
