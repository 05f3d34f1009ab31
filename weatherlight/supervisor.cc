#include "weatherlight/supervisor.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "logging/syslog_prefix.h"
#include "proto/metric_point.h"
#include "weatherlight/adopted_processes.h"
#include "weatherlight/dependency_tiers.h"
#include "weatherlight/output_lines.h"
#include "weatherlight/restart_tracker.h"
#include "weatherlight/service_process.h"

namespace esper::weatherlight {

namespace {

std::string describe_exit(int status) {
  if (WIFEXITED(status)) return "exit " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return std::string("signal ") + ::strsignal(WTERMSIG(status));
  return "status " + std::to_string(status);
}

std::int64_t ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// One line of a child's output, under the child's name; at the level its "<N>" prefix names (how
// supervised Esper processes log, logging/syslog_prefix.h), else at info.
void log_child_line(const std::string& service, std::string_view line) {
  if (const auto prefixed = logging::parse_syslog_prefix(line)) {
    spdlog::log(prefixed->level, "[{}] {}", service, prefixed->text);
  } else {
    spdlog::info("[{}] {}", service, line);
  }
}

}  // namespace

struct Supervisor::Service {
  enum class State {
    kWaiting,   // Not running; starts once its dependencies are ready.
    kRunning,
    kBackoff,   // Exited; restarts at restart_at.
    kStopped,   // Exited and not restarted (policy, or stopped on purpose).
    kFailed,    // Crash loop: given up on.
  };

  Service(ServiceConfig c, const BackoffConfig& backoff) : config(std::move(c)), tracker(backoff) {}

  ServiceConfig config;
  std::optional<ServiceConfig> pending_config;  // Applied at the next start (reload).
  State state = State::kWaiting;
  pid_t pid = -1;
  int out_fd = -1, err_fd = -1;
  OutputLines out_lines, err_lines;
  bool ready = false;
  bool done = false;  // Exited 0 and not to be restarted: a one-shot that did its job.
  RestartTracker tracker;

  // Ready, or finished for good after doing its job: either way nothing waits for it any more.
  bool settled() const { return ready || done; }
  Clock::time_point started_at, restart_at;
  std::optional<Clock::time_point> kill_at;  // Set while a requested stop is in progress.
  bool restart_after_stop = false;
  bool stop_requested = false;
  std::uint64_t restarts = 0;
};

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

bool Supervisor::all_ready() const {
  return std::all_of(services_.begin(), services_.end(), [](const auto& s) { return s->settled(); });
}

void Supervisor::fail_start(const Service& s, const std::string& how) {
  if (announced_ready_ || start_failure_) return;
  start_failure_ = "service " + s.config.name + " " + how + " before every service was ready";
  spdlog::critical("start failed: {}; stopping the others", *start_failure_);
  notifier_.status("start failed: " + *start_failure_);
  stopping_ = true;
}

void Supervisor::start(Service& s, Clock::time_point now) {
  if (s.pending_config) {
    s.config = std::move(*s.pending_config);
    s.pending_config.reset();
  }
  const std::map<std::string, std::string> extra = {{"ESPER_CONTROL_ENDPOINT", config_.control_endpoint},
                                                    {"ESPER_SERVICE_NAME", s.config.name}};
  SpawnedProcess p;
  try {
    p = spawn_service(s.config, extra);
  } catch (const std::system_error& e) {
    // Out of processes or descriptors: treat as a failed start and let backoff retry.
    spdlog::error("[{}] cannot start: {}", s.config.name, e.what());
    const auto delay = s.tracker.on_exit(now);
    s.state = delay ? Service::State::kBackoff : Service::State::kFailed;
    if (delay) s.restart_at = now + *delay;
    return;
  }
  s.pid = p.pid;
  s.out_fd = p.stdout_fd;
  s.err_fd = p.stderr_fd;
  s.state = Service::State::kRunning;
  s.started_at = now;
  s.stop_requested = false;
  s.restart_after_stop = false;
  s.kill_at.reset();
  s.ready = s.config.ready == Readiness::kStarted;
  s.done = false;
  s.tracker.on_start(now);
  spdlog::info("[{}] started pid {} ({})", s.config.name, s.pid, s.config.executable.string());
  reporter_.event(proto::SEVERITY_INFO, "service_started",
                  {{"service", s.config.name}, {"pid", std::to_string(s.pid)}, {"restarts", std::to_string(s.restarts)}});
}

void Supervisor::start_services(Clock::time_point now) {
  if (stopping_) return;
  for (auto& s : services_) {
    const bool due = s->state == Service::State::kWaiting ||
                     (s->state == Service::State::kBackoff && now >= s->restart_at);
    if (!due) continue;
    const bool deps_ready = std::all_of(s->config.depends_on.begin(), s->config.depends_on.end(), [&](const auto& d) {
      const Service* dep = find(d);
      return dep && dep->settled();
    });
    if (deps_ready) start(*s, now);
  }
}

void Supervisor::close_output(Service& s) {
  for (auto [fd, is_stderr] : {std::pair{&s.out_fd, false}, std::pair{&s.err_fd, true}}) {
    if (*fd < 0) continue;
    on_output(s, *fd, is_stderr);  // Whatever is still in the pipe.
    for (auto& line : (is_stderr ? s.err_lines : s.out_lines).finish()) log_child_line(s.config.name, line);
    ::close(*fd);
    *fd = -1;
  }
}

void Supervisor::on_output(Service& s, int fd, bool is_stderr) {
  char buffer[8192];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) {
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        // End of stream while the process runs (it closed its stdout): stop polling this pipe.
        for (auto& line : (is_stderr ? s.err_lines : s.out_lines).finish()) log_child_line(s.config.name, line);
        ::close(fd);
        (is_stderr ? s.err_fd : s.out_fd) = -1;
      }
      return;
    }
    for (auto& line : (is_stderr ? s.err_lines : s.out_lines).append({buffer, static_cast<std::size_t>(n)})) {
      log_child_line(s.config.name, line);
      if (!is_stderr && !s.ready && s.config.ready == Readiness::kLine &&
          line.find(s.config.ready_line) != std::string::npos) {
        s.ready = true;
        spdlog::info("[{}] ready", s.config.name);
      }
    }
  }
}

void Supervisor::on_child_exit(pid_t pid, int status, Clock::time_point now) {
  Service* found = find_by_pid(pid);
  if (!found) return;  // An orphaned grandchild re-parented to us (subreaper): reaped, nothing to do.
  Service& s = *found;
  close_output(s);
  signal_group(s.pid, SIGKILL);  // Anything the service left behind in its group goes with it.
  s.pid = -1;
  s.ready = false;
  s.kill_at.reset();
  flush_->forget(s.config.name);
  const std::string how = describe_exit(status);

  if (s.stop_requested) {
    spdlog::info("[{}] stopped ({})", s.config.name, how);
    s.stop_requested = false;
    s.state = s.restart_after_stop && !stopping_ ? Service::State::kWaiting : Service::State::kStopped;
    if (s.state == Service::State::kWaiting) ++s.restarts;
    return;
  }

  const bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  const bool restart = s.config.restart == RestartPolicy::kAlways ||
                       (s.config.restart == RestartPolicy::kOnFailure && !clean);
  if (!restart || stopping_) {
    spdlog::info("[{}] exited ({}); restart policy {}: not restarted", s.config.name, how, to_string(s.config.restart));
    s.state = Service::State::kStopped;
    s.done = clean;
    reporter_.event(clean ? proto::SEVERITY_INFO : proto::SEVERITY_WARNING, "service_exited",
                    {{"service", s.config.name}, {"status", how}});
    if (!clean && !stopping_) fail_start(s, "exited (" + how + ")");
    return;
  }
  const auto delay = s.tracker.on_exit(now);
  if (!delay) {
    s.state = Service::State::kFailed;
    spdlog::critical("[{}] exited ({}): crash loop ({} restarts within {} ms), giving up", s.config.name, how,
                     config_.backoff.crash_loop_limit, config_.backoff.crash_loop_window.count());
    reporter_.event(proto::SEVERITY_CRITICAL, "service_crash_loop",
                    {{"service", s.config.name},
                     {"status", how},
                     {"restarts", std::to_string(s.restarts)},
                     {"crash_loop_limit", std::to_string(config_.backoff.crash_loop_limit)}});
    fail_start(s, "crash-looped (" + how + ")");
    return;
  }
  s.state = Service::State::kBackoff;
  s.restart_at = now + *delay;
  ++s.restarts;
  spdlog::warn("[{}] exited ({}); restarting in {} ms", s.config.name, how, delay->count());
  reporter_.event(proto::SEVERITY_WARNING, "service_exited",
                  {{"service", s.config.name}, {"status", how}, {"restart_in_ms", std::to_string(delay->count())}});
}

void Supervisor::request_stop(Service& s, bool restart_after, Clock::time_point now) {
  if (s.state != Service::State::kRunning) {
    if (restart_after && !stopping_) s.state = Service::State::kWaiting;
    return;
  }
  s.restart_after_stop = restart_after;
  if (s.stop_requested) return;
  s.stop_requested = true;
  s.kill_at = now + config_.stop_timeout;
  signal_group(s.pid, SIGTERM);
  signal_group(s.pid, SIGCONT);  // A stopped service (SIGSTOP, Ctrl-Z) acts on SIGTERM only once it runs.
}

void Supervisor::on_flush_events(const std::vector<FlushEvent>& events, Clock::time_point now) {
  for (const auto& e : events) {
    Service* s = find(e.service);
    switch (e.type) {
      case FlushEvent::Type::kHello:
        if (!s) {
          spdlog::warn("control: HELLO from \"{}\", which is not a configured service (pid {})", e.service, e.pid);
          break;
        }
        spdlog::info("[{}] said HELLO (pid {})", e.service, e.pid);
        if (s->config.ready == Readiness::kHello && s->state == Service::State::kRunning) s->ready = true;
        break;
      case FlushEvent::Type::kFlushed:
        if (e.dropped > 0) {
          spdlog::warn("[{}] flush dropped {} items (buffer full); {} left", e.service, e.dropped, e.depth);
        }
        break;
      case FlushEvent::Type::kUnhealthy:
        spdlog::warn("[{}] unhealthy: {} FLUSH requests unanswered in a row", e.service, e.missed);
        reporter_.event(proto::SEVERITY_WARNING, "service_unhealthy",
                        {{"service", e.service}, {"missed_flushes", std::to_string(e.missed)}});
        if (s && s->config.restart_when_unhealthy) {
          spdlog::warn("[{}] restarting (restart_when_unhealthy)", e.service);
          request_stop(*s, /*restart_after=*/true, now);
        }
        break;
      case FlushEvent::Type::kHealthy:
        spdlog::info("[{}] healthy again", e.service);
        reporter_.event(proto::SEVERITY_INFO, "service_recovered", {{"service", e.service}});
        break;
    }
  }
}

void Supervisor::publish_telemetry() {
  std::vector<proto::MetricPoint> points;
  int up = 0;
  for (const auto& s : services_) {
    const bool running = s->state == Service::State::kRunning;
    up += running ? 1 : 0;
    const auto flush = flush_->stats(s->config.name);
    points.push_back(proto::make_point("weatherlight.service_up", running ? 1 : 0, "bool", proto::METRIC_KIND_GAUGE,
                                      {{"service", s->config.name}}));
    points.push_back(proto::make_point("weatherlight.restarts_total", static_cast<double>(s->restarts), "count",
                                      proto::METRIC_KIND_COUNTER, {{"service", s->config.name}}));
    if (flush.answered > 0) {
      points.push_back(proto::make_point("weatherlight.flush_latency_ms",
                                        static_cast<double>(flush.last_latency.count()) / 1000.0, "ms",
                                        proto::METRIC_KIND_GAUGE, {{"service", s->config.name}}));
    }
    points.push_back(proto::make_point("weatherlight.flushes_missed_total", static_cast<double>(flush.missed_total),
                                      "count", proto::METRIC_KIND_COUNTER, {{"service", s->config.name}}));
    points.push_back(proto::make_point("weatherlight.flush_dropped_total", static_cast<double>(flush.dropped_total),
                                      "count", proto::METRIC_KIND_COUNTER, {{"service", s->config.name}}));
  }
  points.push_back(proto::make_point("weatherlight.services_up", up, "count"));
  points.push_back(proto::make_point("weatherlight.services_configured", static_cast<double>(services_.size()), "count"));
  reporter_.metrics(std::move(points));
}

void Supervisor::update_status() {
  int up = 0, failed = 0;
  std::uint64_t restarts = 0;
  std::string unhealthy;
  for (const auto& s : services_) {
    up += s->state == Service::State::kRunning ? 1 : 0;
    failed += s->state == Service::State::kFailed ? 1 : 0;
    restarts += s->restarts;
    if (!flush_->stats(s->config.name).healthy) unhealthy += (unhealthy.empty() ? "" : ",") + s->config.name;
  }
  std::string status = std::to_string(up) + "/" + std::to_string(services_.size()) + " services up";
  if (failed) status += ", " + std::to_string(failed) + " failed";
  status += ", " + std::to_string(restarts) + " restarts";
  if (!unhealthy.empty()) status += ", unhealthy: " + unhealthy;
  status += ", flush #" + std::to_string(flush_->seq());
  notifier_.status(status);
}

void Supervisor::flush_tick(Clock::time_point now) {
  on_flush_events(flush_->tick(now), now);
  for (auto& s : services_) {
    if (s->state == Service::State::kRunning && s->tracker.on_running(now) && s->restarts > 0) {
      spdlog::info("[{}] running stably for {} ms: backoff reset", s->config.name, config_.backoff.stable_after.count());
    }
  }
  publish_telemetry();
  update_status();
}

void Supervisor::reload(Clock::time_point now) {
  SupervisorConfig next;
  try {
    next = load_supervisor_config_file(config_.source_file, runtime_dir_override_);
  } catch (const std::exception& e) {
    spdlog::error("SIGHUP: config not reloaded, keeping the running one: {}", e.what());
    reporter_.event(proto::SEVERITY_WARNING, "config_reload_failed", {{"error", e.what()}});
    return;
  }
  if (next.control_endpoint != config_.control_endpoint) {
    spdlog::warn("SIGHUP: control_endpoint changes take effect only after a restart of weatherlight");
    next.control_endpoint = config_.control_endpoint;
  }
  int added = 0, changed = 0, removed = 0;
  std::vector<std::unique_ptr<Service>> ordered;
  for (const auto& svc : next.services) {
    auto it = std::find_if(services_.begin(), services_.end(), [&](const auto& s) { return s && s->config.name == svc.name; });
    if (it == services_.end()) {
      ordered.push_back(std::make_unique<Service>(svc, next.backoff));
      ++added;
      continue;
    }
    auto s = std::move(*it);
    const ServiceConfig& current = s->pending_config ? *s->pending_config : s->config;
    if (!(current == svc) || !(next.backoff == config_.backoff)) {
      s->tracker = RestartTracker(next.backoff);
    }
    if (!(current == svc)) {
      s->pending_config = svc;
      if (s->state == Service::State::kFailed || s->state == Service::State::kStopped) s->state = Service::State::kWaiting;
      request_stop(*s, /*restart_after=*/true, now);
      ++changed;
    }
    ordered.push_back(std::move(s));
  }
  for (auto& s : services_) {
    if (!s) continue;
    request_stop(*s, /*restart_after=*/false, now);
    if (s->state == Service::State::kRunning) {
      retiring_.push_back(std::move(s));
    }
    ++removed;
  }
  services_ = std::move(ordered);
  config_ = std::move(next);
  flush_->set_missed_threshold(config_.missed_flushes_unhealthy);
  spdlog::info("SIGHUP: config reloaded from {}: {} added, {} changed, {} removed", config_.source_file.string(), added,
               changed, removed);
  reporter_.event(proto::SEVERITY_INFO, "config_reloaded",
                  {{"added", std::to_string(added)}, {"changed", std::to_string(changed)}, {"removed", std::to_string(removed)}});
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
  if (items[0].revents & ZMQ_POLLIN) {
    while (auto signo = signals_.take()) {
      if (signals::is_stop_signal(*signo)) {
        spdlog::info("signal {}: stopping", ::strsignal(*signo));
        stopping_ = true;
      } else if (*signo == SIGHUP && !stopping_) {
        reload(now);
      }
    }
  }
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

void Supervisor::shutdown() {
  notifier_.stopping();
  notifier_.status("stopping");
  // A final flush so nothing recorded before the stop is lost, bounded so a hung service cannot
  // hold the shutdown.
  flush_tick(Clock::now());
  const auto flush_deadline = Clock::now() + std::min(config_.stop_timeout, std::chrono::milliseconds(2000));
  while (!flush_->all_answered() && Clock::now() < flush_deadline) {
    poll_once(std::chrono::milliseconds(ms(flush_deadline - Clock::now()) + 1));
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

int Supervisor::run() {
  const auto begin = Clock::now();
  next_flush_ = begin + config_.flush_interval;
  next_watchdog_ = begin;
  spdlog::info("supervising {} services; control socket {}; flush every {} ms", services_.size(),
               config_.control_endpoint, config_.flush_interval.count());
  while (!stopping_) {
    auto now = Clock::now();
    start_services(now);
    if (!announced_ready_ && all_ready()) {
      announced_ready_ = true;
      notifier_.ready();
      update_status();
      spdlog::info("all {} services ready", services_.size());
      std::printf("weatherlight ready control=%s\n", config_.control_endpoint.c_str());
      std::fflush(stdout);
    }
    if (now >= next_flush_) {
      flush_tick(now);
      next_flush_ = now + config_.flush_interval;
    }
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
    poll_once(std::chrono::milliseconds(std::max<std::int64_t>(0, ms(wake - Clock::now()) + 1)));
  }
  shutdown();
  return start_failure_ ? 1 : 0;
}

}  // namespace esper::weatherlight
