// Files that must be whole or absent after a crash (quarantine copies, the acknowledgment list,
// requeue requests, Nissa's aggregates checkpoint, and the WAL's own new segments): written under a
// temporary name beside the target, fsynced, renamed into place, and the directory fsynced. The
// file is created 0600 (wal/private_files.h), so replacing a file written wider by an older version
// narrows it.
#ifndef ESPER_WAL_ATOMIC_FILE_H_
#define ESPER_WAL_ATOMIC_FILE_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "wal/file_ops.h"
#include "wal/wal_status.h"

namespace esper::wal {

// Replaces `path` with `bytes`. The temporary name is `path` + ".new", not ".tmp", which the WAL
// writer deletes from its directory on open.
Status write_file_atomically(const std::filesystem::path& path, std::string_view bytes);

// The steps before the directory fsync, for a caller that keeps the new file open (the WAL writer
// appends to a new segment after its header): creates `temporary`, writes `bytes` and fsyncs it
// through `ops`, and renames it to `path`. Returns the open descriptor, or -1 with *status set
// (naming the file as `name`) and `temporary` removed.
int create_whole_file(const std::filesystem::path& temporary, const std::filesystem::path& path,
                      std::string_view bytes, FileOps& ops, const std::string& name, Status* status);

}  // namespace esper::wal

#endif  // ESPER_WAL_ATOMIC_FILE_H_
