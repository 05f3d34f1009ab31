// A file mode as people write it in chmod and in error messages: "0640". Header-only, so any
// component that reports a mode (a key file, a private directory) can say it the same way.
#ifndef ESPER_DAEMON_FILE_MODE_TEXT_H_
#define ESPER_DAEMON_FILE_MODE_TEXT_H_

#include <sys/types.h>

#include <cstdio>
#include <string>

namespace esper::daemon {

inline std::string octal_mode(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace esper::daemon

#endif  // ESPER_DAEMON_FILE_MODE_TEXT_H_
