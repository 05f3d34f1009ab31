// State only its owner may read: field reports, checkpoints, quarantined bytes and the files beside
// them hold what producers sent, so Esper creates every state file 0600 and every state directory
// 0700 whatever the umask, and narrows what an older version (or a umask of 022) left wider when it
// opens a WAL. Root running a tool (esper-wal as root on /var/lib/esper) hands what it creates to
// the owner of the directory it creates it in, so that the service can still read and delete it.
#ifndef ESPER_WAL_PRIVATE_FILES_H_
#define ESPER_WAL_PRIVATE_FILES_H_

#include <sys/types.h>

#include <cstdint>
#include <filesystem>

#include "wal/wal_status.h"

namespace esper::wal {

inline constexpr mode_t kPrivateFileMode = 0600;
inline constexpr mode_t kPrivateDirectoryMode = 0700;

// Creates `dir` and every missing parent with mode 0700. Existing components are left as they are.
Status create_private_directories(const std::filesystem::path& dir);

// open(path, flags | O_CREAT | O_CLOEXEC, 0600): a file that only its owner can read. Returns the
// descriptor, or -1 with errno set.
int create_private_file(const std::filesystem::path& path, int flags);

// Removes group and other access from `root` and from everything under it that this process's user
// owns (symbolic links are not followed), and logs one line saying how many it narrowed. Returns
// that number; what it cannot narrow is left alone (never an error: the files stay usable).
std::uint64_t narrow_to_private(const std::filesystem::path& root);

}  // namespace esper::wal

#endif  // ESPER_WAL_PRIVATE_FILES_H_
