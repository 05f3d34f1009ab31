#include "field_reports/wal_status.h"

#include <cstring>

namespace esper::field_reports {

Status errno_status(int err, const std::string& what) {
  return Status::error(err, what + ": " + std::strerror(err));
}

}  // namespace esper::field_reports
