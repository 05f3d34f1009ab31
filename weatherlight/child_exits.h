// Weatherlight learns that a service died through SIGCHLD on a signalfd, polled with everything
// else. Construct in main() before any thread starts (threads inherit the blocked mask). It also
// makes Weatherlight a child subreaper, so a service's orphaned grandchildren are re-parented to
// Weatherlight and reaped here rather than by init.
#ifndef ESPER_WEATHERLIGHT_CHILD_EXITS_H_
#define ESPER_WEATHERLIGHT_CHILD_EXITS_H_

#include <sys/types.h>

#include <utility>
#include <vector>

namespace esper::weatherlight {

class ChildExits {
 public:
  ChildExits();  // Throws std::system_error.
  ~ChildExits();
  ChildExits(const ChildExits&) = delete;
  ChildExits& operator=(const ChildExits&) = delete;

  int fd() const { return fd_; }
  // Every child that has exited since the last call: (pid, wait status). Never blocks.
  std::vector<std::pair<pid_t, int>> reap();
  // True while any child (a service or an orphan re-parented to us) has not been reaped.
  static bool has_children();

 private:
  int fd_ = -1;
};

}  // namespace esper::weatherlight

#endif  // ESPER_WEATHERLIGHT_CHILD_EXITS_H_
