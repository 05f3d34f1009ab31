// The processes whose parent is this one. Weatherlight is a child subreaper
// (weatherlight/child_exits.h), so besides the services it started these include orphans they left
// behind: a grandchild that called setsid() escapes its service's process group, and so the group
// signal that stops the service. At shutdown Weatherlight asks this list who is still there.
#ifndef ESPER_WEATHERLIGHT_ADOPTED_PROCESSES_H_
#define ESPER_WEATHERLIGHT_ADOPTED_PROCESSES_H_

#include <sys/types.h>

#include <vector>

namespace esper::weatherlight {

// Living (not zombie) processes whose parent is `parent`, read from /proc. Empty if /proc cannot
// be read.
std::vector<pid_t> living_children_of(pid_t parent);

}  // namespace esper::weatherlight

#endif  // ESPER_WEATHERLIGHT_ADOPTED_PROCESSES_H_
