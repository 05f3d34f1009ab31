// The stop sequence (SIGTERM/SIGINT, or a failed start): a final flush, bounded so a hung service
// cannot hold it; services removed by a reload; then the services tier by tier from the top of the
// dependency graph (weatherlight/dependency_tiers.h), each tier at once: SIGTERM to every process
// group, stop_timeout, SIGKILL; last, whatever escaped its group, given the same treatment. All of
// it reaped, so nothing outlives Weatherlight.
#include <signal.h>
#include <unistd.h>

#include <algorithm>

#include <spdlog/spdlog.h>

#include "weatherlight/adopted_processes.h"
#include "weatherlight/dependency_tiers.h"
#include "weatherlight/supervised_service.h"

namespace esper::weatherlight {

void Supervisor::shutdown() {
  notifier_.stopping();
  notifier_.status("stopping");
  // A final flush so nothing recorded before the stop is lost, bounded so a hung service cannot
  // hold the shutdown.
  flush_tick(Clock::now());
  const auto flush_deadline = Clock::now() + std::min(config_.stop_timeout, std::chrono::milliseconds(2000));
  while (!flush_->all_answered() && Clock::now() < flush_deadline) {
    poll_once(std::chrono::milliseconds(whole_ms(flush_deadline - Clock::now()) + 1));
  }
  // Services removed by a reload first, then tier by tier from the top of the dependency graph: a
  // service stops before what it depends on, and a whole tier stops at once.
  stop_and_wait(retiring_);
  std::vector<TierInput> graph;
  for (const auto& svc : services_) graph.push_back({svc->config.name, svc->config.depends_on});
  const auto tiers = dependency_tiers(graph);
  for (auto tier = tiers.rbegin(); tier != tiers.rend(); ++tier) {
    std::vector<Service*> group;
    for (std::size_t i : *tier) group.push_back(services_[i].get());
    stop_and_wait(group);
  }
  stop_adopted_orphans();
  publish_telemetry();
  spdlog::info("all services stopped");
}

template <typename List>
void Supervisor::stop_and_wait(const List& group) {
  const auto now = Clock::now();
  for (const auto& s : group) {
    if (s->state != Service::State::kRunning) continue;
    spdlog::info("[{}] stopping (SIGTERM)", s->config.name);
    request_stop(*s, /*restart_after=*/false, now);
  }
  // poll_once SIGKILLs whatever overruns stop_timeout and reaps what exits.
  while (std::any_of(group.begin(), group.end(), [](const auto& s) { return s->pid > 0; })) {
    poll_once(std::chrono::milliseconds(50));
  }
}

void Supervisor::stop_adopted_orphans() {
  // Every service has exited and its process group was SIGKILLed, so whatever is still our child
  // escaped its group (setsid) and was re-parented to us. It gets what a service gets: SIGTERM,
  // stop_timeout, SIGKILL; and it is reaped, so nothing outlives Weatherlight.
  auto orphans = living_children_of(::getpid());
  if (!orphans.empty()) {
    spdlog::warn("{} process(es) left behind by services are still running; SIGTERM", orphans.size());
    for (pid_t pid : orphans) ::kill(pid, SIGTERM);
    const auto kill_at = Clock::now() + config_.stop_timeout;
    while (!(orphans = living_children_of(::getpid())).empty() && Clock::now() < kill_at) {
      poll_once(std::chrono::milliseconds(20));
    }
    for (pid_t pid : orphans) {
      spdlog::warn("left-behind pid {} did not stop within {} ms: SIGKILL", pid, config_.stop_timeout.count());
      ::kill(pid, SIGKILL);
    }
  }
  const auto reap_deadline = Clock::now() + std::chrono::seconds(2);
  while (ChildExits::has_children() && Clock::now() < reap_deadline) poll_once(std::chrono::milliseconds(20));
  child_exits_.reap();
}

}  // namespace esper::weatherlight
