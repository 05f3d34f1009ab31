// Files that must be whole or absent after a crash (quarantine copies, the acknowledgment list,
// requeue requests, Nissa's aggregates checkpoint): written under a temporary name beside the target, fsynced, renamed into place, and the
// directory fsynced. The temporary name ends in ".new", not ".tmp", which the WAL writer deletes
// from its directory on open. The file is created 0600 (wal/private_files.h), so replacing
// a file written wider by an older version narrows it.
#ifndef ESPER_WAL_ATOMIC_FILE_H_
#define ESPER_WAL_ATOMIC_FILE_H_

#include <filesystem>
#include <string_view>

#include "wal/wal_status.h"

namespace esper::wal {

Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

}  // namespace esper::wal

#endif  // ESPER_WAL_ATOMIC_FILE_H_
