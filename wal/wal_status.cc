#include "wal/wal_status.h"

#include <cstring>

namespace esper::wal {

Status errno_status(int err, const std::string& what) {
  return Status::error(err, what + ": " + std::strerror(err));
}

}  // namespace esper::wal
