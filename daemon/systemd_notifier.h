// A service's side of systemd's notify protocol (sd_notify(3)) for Type=notify units: READY=1 once
// it serves, STATUS= with a one-line summary, WATCHDOG=1 from its main loop while it is healthy,
// STOPPING=1 on shutdown. Without NOTIFY_SOCKET every call is a no-op, so processes call it
// unconditionally.
#ifndef ESPER_DAEMON_SYSTEMD_NOTIFIER_H_
#define ESPER_DAEMON_SYSTEMD_NOTIFIER_H_

#include <chrono>
#include <optional>
#include <string>

namespace esper::daemon {

class SystemdNotifier {
 public:
  SystemdNotifier();

  void ready();
  void stopping();
  void status(const std::string& line);  // Sent only when it changed.
  void watchdog();

  // Half of WATCHDOG_USEC when systemd asked for a watchdog (sd_watchdog_enabled), else nullopt.
  std::optional<std::chrono::milliseconds> watchdog_interval() const { return watchdog_interval_; }

 private:
  void notify(const std::string& state);

  std::optional<std::chrono::milliseconds> watchdog_interval_;
  std::string last_status_;
};

}  // namespace esper::daemon

#endif  // ESPER_DAEMON_SYSTEMD_NOTIFIER_H_
