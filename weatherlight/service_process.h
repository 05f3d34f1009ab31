// One running child of Weatherlight: started with fork/execve (argv executed directly, never through
// a shell) in its own process group, with its stdout and stderr on pipes that the supervisor reads
// and logs line by line under the service's name. Signals go to the whole group, so a service's own
// children stop with it.
#ifndef ESPER_WEATHERLIGHT_SERVICE_PROCESS_H_
#define ESPER_WEATHERLIGHT_SERVICE_PROCESS_H_

#include <sys/types.h>

#include <map>
#include <string>
#include <system_error>

#include "weatherlight/supervisor_config.h"

namespace esper::weatherlight {

struct SpawnedProcess {
  pid_t pid = -1;    // Also the process group id.
  int stdout_fd = -1;  // Read ends, non-blocking, close-on-exec.
  int stderr_fd = -1;
};

// Starts `service` with Weatherlight's environment plus `service.env` plus `extra_env`. The child
// starts with every signal unblocked and default dispositions (Weatherlight blocks and ignores some
// for itself). Throws std::system_error when fork or pipe fails; an exec failure shows up as the
// child exiting with status 127 and a line on its stderr.
SpawnedProcess spawn_service(const ServiceConfig& service, const std::map<std::string, std::string>& extra_env);

// Sends `signo` to the process group `pgid`; false if it no longer exists.
bool signal_group(pid_t pgid, int signo);

}  // namespace esper::weatherlight

#endif  // ESPER_WEATHERLIGHT_SERVICE_PROCESS_H_
