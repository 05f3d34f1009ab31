#include "daemon/systemd_notifier.h"

#include <systemd/sd-daemon.h>

#include <cstdint>

#include <spdlog/spdlog.h>

namespace esper::daemon {

SystemdNotifier::SystemdNotifier() {
  std::uint64_t usec = 0;
  // unset_environment = 0: the variables stay visible; a supervisor that starts children must not
  // pass them on (Weatherlight removes them from each service's environment).
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::milliseconds(std::max<std::uint64_t>(1, usec / 2000));
  }
}

void SystemdNotifier::notify(const std::string& state) {
  const int r = sd_notify(0, state.c_str());
  if (r < 0) spdlog::warn("sd_notify({}) failed: {}", state.substr(0, state.find('\n')), r);
}

void SystemdNotifier::ready() { notify("READY=1"); }
void SystemdNotifier::stopping() { notify("STOPPING=1"); }
void SystemdNotifier::watchdog() { notify("WATCHDOG=1"); }

void SystemdNotifier::status(const std::string& line) {
  if (line == last_status_) return;
  last_status_ = line;
  notify("STATUS=" + line);
}

}  // namespace esper::daemon
