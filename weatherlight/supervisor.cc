// The supervision loop itself: one zmq_poll over signals, child exits, the control socket and the
// services' output pipes, and the timers (flush tick, backoff restarts, SIGKILL deadlines, the
// systemd watchdog). What it does on each of those lives beside it, one concept a file:
// supervisor_start.cc, supervisor_exits.cc, supervisor_output.cc, supervisor_control.cc,
// supervisor_status.cc, supervisor_reload.cc, supervisor_shutdown.cc.
#include "weatherlight/supervisor.h"

#include <signal.h>

#include <algorithm>
#include <cstring>

#include <spdlog/spdlog.h>

#include "weatherlight/service_process.h"
#include "weatherlight/supervised_service.h"

namespace esper::weatherlight {

Supervisor::Supervisor(SupervisorConfig config, std::optional<std::filesystem::path> runtime_dir_override,
                       signals::ShutdownSignals& signals, ChildExits& child_exits, SupervisorReporter& reporter)
    : config_(std::move(config)),
      runtime_dir_override_(std::move(runtime_dir_override)),
      signals_(signals),
      child_exits_(child_exits),
      reporter_(reporter) {
  if (config_.control_endpoint.rfind("ipc://", 0) == 0) {
    // A stale socket file from a previous run would make bind fail.
    std::filesystem::path path = config_.control_endpoint.substr(6);
    std::error_code ec;
    std::filesystem::create_directories(path.parent_path(), ec);
    std::filesystem::remove(path, ec);
  }
  flush_ = std::make_unique<FlushCoordinator>(context_, config_.control_endpoint, config_.missed_flushes_unhealthy);
  for (const auto& svc : config_.services) services_.push_back(std::make_unique<Service>(svc, config_.backoff));
}

Supervisor::~Supervisor() = default;

Supervisor::Service* Supervisor::find(const std::string& name) {
  for (auto& s : services_) {
    if (s->config.name == name) return s.get();
  }
  return nullptr;
}

Supervisor::Service* Supervisor::find_by_pid(pid_t pid) {
  for (auto* list : {&services_, &retiring_}) {
    for (auto& s : *list) {
      if (s->pid == pid) return s.get();
    }
  }
  return nullptr;
}

int Supervisor::run() {
  const auto begin = Clock::now();
  next_flush_ = begin + config_.flush_interval;
  next_watchdog_ = begin;
  spdlog::info("supervising {} services; control socket {}; flush every {} ms", services_.size(),
               config_.control_endpoint, config_.flush_interval.count());
  while (!stopping_) {
    auto now = Clock::now();
    start_services(now);
    announce_ready_once_all_are();
    if (now >= next_flush_) {
      flush_tick(now);
      next_flush_ = now + config_.flush_interval;
    }
    poll_once(std::chrono::milliseconds(std::max<std::int64_t>(0, whole_ms(next_wake(now) - Clock::now()) + 1)));
  }
  shutdown();
  return start_failure_ ? 1 : 0;
}

Supervisor::Clock::time_point Supervisor::next_wake(Clock::time_point now) const {
  auto wake = next_flush_;
  if (notifier_.watchdog_interval()) wake = std::min(wake, next_watchdog_);
  for (const auto& s : services_) {
    if (s->state == Service::State::kBackoff) wake = std::min(wake, s->restart_at);
    if (s->state == Service::State::kWaiting) wake = std::min(wake, now + std::chrono::milliseconds(50));
    if (s->kill_at) wake = std::min(wake, *s->kill_at);
  }
  for (const auto& s : retiring_) {
    if (s->kill_at) wake = std::min(wake, *s->kill_at);
  }
  return wake;
}

void Supervisor::poll_once(std::chrono::milliseconds timeout) {
  std::vector<zmq::pollitem_t> items;
  items.push_back({nullptr, signals_.fd(), ZMQ_POLLIN, 0});
  items.push_back({nullptr, child_exits_.fd(), ZMQ_POLLIN, 0});
  items.push_back({flush_->socket().handle(), 0, ZMQ_POLLIN, 0});
  struct OutputRef {
    Service* service;
    bool is_stderr;
  };
  std::vector<OutputRef> refs;
  for (auto* list : {&services_, &retiring_}) {
    for (auto& s : *list) {
      if (s->out_fd >= 0) {
        items.push_back({nullptr, s->out_fd, ZMQ_POLLIN, 0});
        refs.push_back({s.get(), false});
      }
      if (s->err_fd >= 0) {
        items.push_back({nullptr, s->err_fd, ZMQ_POLLIN, 0});
        refs.push_back({s.get(), true});
      }
    }
  }
  zmq::poll(items.data(), items.size(), std::max(timeout, std::chrono::milliseconds(0)));
  const auto now = Clock::now();

  for (std::size_t i = 0; i < refs.size(); ++i) {
    if (items[3 + i].revents & (ZMQ_POLLIN | ZMQ_POLLERR)) {
      Service& s = *refs[i].service;
      const int fd = refs[i].is_stderr ? s.err_fd : s.out_fd;
      if (fd >= 0) on_output(s, fd, refs[i].is_stderr);
    }
  }
  if (items[2].revents & ZMQ_POLLIN) on_flush_events(flush_->on_readable(now), now);
  if (items[1].revents & ZMQ_POLLIN) {
    for (auto [pid, status] : child_exits_.reap()) on_child_exit(pid, status, now);
    std::erase_if(retiring_, [](const auto& s) { return s->pid < 0; });
  }
  if (items[0].revents & ZMQ_POLLIN) on_signals(now);
  on_timers(now);
}

void Supervisor::on_signals(Clock::time_point now) {
  while (auto signo = signals_.take()) {
    if (signals::is_stop_signal(*signo)) {
      spdlog::info("signal {}: stopping", ::strsignal(*signo));
      stopping_ = true;
    } else if (*signo == SIGHUP && !stopping_) {
      reload(now);
    }
  }
}

void Supervisor::on_timers(Clock::time_point now) {
  if (auto interval = notifier_.watchdog_interval(); interval && now >= next_watchdog_) {
    notifier_.watchdog();  // Also while shutting down: the loop is alive and well.
    next_watchdog_ = now + *interval;
  }
  // Stops that overran stop_timeout.
  for (auto* list : {&services_, &retiring_}) {
    for (auto& s : *list) {
      if (s->kill_at && now >= *s->kill_at && s->pid > 0) {
        spdlog::warn("[{}] did not stop within {} ms: SIGKILL", s->config.name, config_.stop_timeout.count());
        signal_group(s->pid, SIGKILL);
        s->kill_at.reset();
      }
    }
  }
}

}  // namespace esper::weatherlight
