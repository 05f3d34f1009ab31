#include "weatherlight/service_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

extern char** environ;

namespace esper::weatherlight {
namespace {

std::system_error errno_error(const char* what) { return {errno, std::generic_category(), what}; }

// The child's environment as "KEY=value" strings: Weatherlight's own, then the service's env, then
// `extra_env`, each overriding the one before.
std::vector<std::string> child_environment(const ServiceConfig& service,
                                           const std::map<std::string, std::string>& extra_env) {
  std::map<std::string, std::string> env_map;
  for (char** e = environ; *e; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string key = entry.substr(0, eq);
    // systemd's notify and watchdog contract is with Weatherlight, not with its children.
    if (key == "NOTIFY_SOCKET" || key == "WATCHDOG_USEC" || key == "WATCHDOG_PID") continue;
    env_map[std::move(key)] = entry.substr(eq + 1);
  }
  for (const auto& [k, v] : service.env) env_map[k] = v;
  for (const auto& [k, v] : extra_env) env_map[k] = v;
  std::vector<std::string> env_strings;
  for (const auto& [k, v] : env_map) env_strings.push_back(k + "=" + v);
  return env_strings;
}

}  // namespace

SpawnedProcess spawn_service(const ServiceConfig& service, const std::map<std::string, std::string>& extra_env) {
  // Everything the child needs is built before fork: after it, only async-signal-safe calls.
  std::vector<std::string> env_strings = child_environment(service, extra_env);
  std::vector<char*> envp, argv;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = service.argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string executable = service.executable.string();
  const std::string working_dir = service.working_dir.string();
  const pid_t parent = ::getpid();

  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0) throw errno_error("pipe2");
  if (::pipe2(err, O_CLOEXEC) != 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw errno_error("pipe2");
  }

  const pid_t pid = ::fork();
  if (pid < 0) {
    for (int fd : {out[0], out[1], err[0], err[1]}) ::close(fd);
    throw errno_error("fork");
  }
  if (pid == 0) {
    ::setpgid(0, 0);
    // If Weatherlight dies without stopping us, we go too rather than run unsupervised.
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD}) ::signal(s, SIG_DFL);
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    if (!working_dir.empty() && ::chdir(working_dir.c_str()) != 0) {
      const char msg[] = "weatherlight: cannot chdir to the service's working_dir\n";
      (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
      ::_exit(127);
    }
    ::execve(executable.c_str(), argv.data(), envp.data());
    const char msg[] = "weatherlight: execve failed\n";
    (void)!::write(STDERR_FILENO, msg, sizeof msg - 1);
    ::_exit(127);
  }
  // Also in the parent, so that a signal sent right after fork already reaches the new group.
  ::setpgid(pid, pid);
  ::close(out[1]);
  ::close(err[1]);
  for (int fd : {out[0], err[0]}) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  return {pid, out[0], err[0]};
}

bool signal_group(pid_t pgid, int signo) { return pgid > 0 && ::kill(-pgid, signo) == 0; }

}  // namespace esper::weatherlight
