// A directory only this process's user can change: the bus's runtime directory (its ipc://
// sockets) and the state directories (WALs, checkpoints). Their default names are predictable
// (/tmp/esper-<uid>), so another local user could create one first, with mode 0777, and later swap
// a socket in it for one of their own. ensure_private_directory() creates the directory with the
// given mode whatever the umask, and refuses one that someone else owns or may write to, saying
// which and how to fix it.
#ifndef ESPER_DAEMON_PRIVATE_DIRECTORY_H_
#define ESPER_DAEMON_PRIVATE_DIRECTORY_H_

#include <sys/types.h>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace esper::daemon {

class UnsafeDirectoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Creates `dir` (parents as plain directories) with `mode` (0700, or 0750 to share it read-only with
// the deployment's group) if it is missing. If it exists, it must be a real directory (not a
// symlink) owned by this process's effective user and writable by nobody else; access for others
// (not the group, which a deployment may share) is removed. Throws UnsafeDirectoryError otherwise, and
// std::filesystem::filesystem_error when it cannot be created.
void ensure_private_directory(const std::filesystem::path& dir, mode_t mode = 0700);

}  // namespace esper::daemon

#endif  // ESPER_DAEMON_PRIVATE_DIRECTORY_H_
