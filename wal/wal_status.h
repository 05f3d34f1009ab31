// The result of a WAL operation: ok, or an errno-style code with a message that says what failed
// and where ("write segment 3 at offset 4096: No space left on device").
#ifndef ESPER_WAL_WAL_STATUS_H_
#define ESPER_WAL_WAL_STATUS_H_

#include <string>
#include <utility>

namespace esper::wal {

class Status {
 public:
  Status() = default;  // ok
  static Status error(int code, std::string message) { return Status(code, std::move(message)); }

  bool ok() const { return code_ == 0; }
  int code() const { return code_; }  // An errno value (ENOSPC, EIO...), 0 when ok.
  const std::string& message() const { return message_; }

 private:
  Status(int code, std::string message) : code_(code == 0 ? -1 : code), message_(std::move(message)) {}
  int code_ = 0;
  std::string message_;
};

// "what: strerror(err)".
Status errno_status(int err, const std::string& what);

}  // namespace esper::wal

#endif  // ESPER_WAL_WAL_STATUS_H_
