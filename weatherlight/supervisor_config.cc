#include "weatherlight/supervisor_config.h"

#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <set>
#include <sstream>

#include "oona/bus_location_config.h"

namespace esper::weatherlight {
namespace {

// Replaces ${runtime_dir}, ${config_dir} and ${env:NAME} in `text`. An unset environment variable
// or an unknown name is an error about `key` of `section`.
std::string substitute(const std::string& text, const std::map<std::string, std::string>& vars,
                       const config::Section& section, std::string_view key) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const auto open = text.find("${", at);
    if (open == std::string::npos) break;
    const auto close = text.find('}', open);
    if (close == std::string::npos) throw section.error(key, "unterminated ${ in \"" + text + "\"");
    out += text.substr(at, open - at);
    const std::string name = text.substr(open + 2, close - open - 2);
    if (name.rfind("env:", 0) == 0) {
      const char* value = std::getenv(name.substr(4).c_str());
      if (!value) throw section.error(key, "environment variable " + name.substr(4) + " is not set");
      out += value;
    } else if (auto it = vars.find(name); it != vars.end()) {
      out += it->second;
    } else {
      throw section.error(key, "unknown ${" + name + "} (known: ${runtime_dir}, ${config_dir}, ${env:NAME})");
    }
    at = close + 1;
  }
  return out + text.substr(at);
}

bool is_executable_file(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// argv[0] as execvp would find it; nullopt if there is no such executable.
std::optional<std::filesystem::path> resolve_executable(const std::string& program,
                                                        const std::filesystem::path& working_dir) {
  if (program.find('/') != std::string::npos) {
    std::filesystem::path p(program);
    if (p.is_relative() && !working_dir.empty()) p = working_dir / p;
    if (!is_executable_file(p)) return std::nullopt;
    return std::filesystem::absolute(p);
  }
  const char* path_env = std::getenv("PATH");
  std::stringstream dirs(path_env ? path_env : "/usr/local/bin:/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    if (dir.empty()) continue;
    const auto candidate = std::filesystem::path(dir) / program;
    if (is_executable_file(candidate)) return candidate;
  }
  return std::nullopt;
}

RestartPolicy parse_restart(config::Section& s) {
  const auto text = s.get<std::string>("restart", "on-failure");
  if (text == "always") return RestartPolicy::kAlways;
  if (text == "on-failure") return RestartPolicy::kOnFailure;
  if (text == "never") return RestartPolicy::kNever;
  throw s.error("restart", "must be always, on-failure or never (got \"" + text + "\")");
}

void read_backoff(config::Section& s, BackoffConfig& b) {
  b.initial = s.get("initial", b.initial);
  b.max = s.get("max", b.max);
  b.multiplier = s.get("multiplier", b.multiplier);
  b.jitter = s.get("jitter", b.jitter);
  b.crash_loop_limit = s.get("crash_loop_limit", b.crash_loop_limit);
  b.crash_loop_window = s.get("crash_loop_window", b.crash_loop_window);
  b.stable_after = s.get("stable_after", b.stable_after);
  if (b.initial.count() <= 0) throw s.error("initial", "must be greater than 0");
  if (b.max < b.initial) throw s.error("max", "must be at least `initial`");
  if (b.multiplier < 1.0) throw s.error("multiplier", "must be at least 1");
  if (b.jitter < 0.0 || b.jitter >= 1.0) throw s.error("jitter", "must be in [0, 1)");
  if (b.crash_loop_limit == 0) throw s.error("crash_loop_limit", "must be at least 1");
  if (b.crash_loop_window.count() <= 0) throw s.error("crash_loop_window", "must be greater than 0");
  s.finish();
}

// Orders services so that each comes after its dependencies; throws for a cycle, naming it.
std::vector<std::size_t> start_order(const std::vector<ServiceConfig>& services,
                                     std::vector<std::pair<std::string, config::Section>>& sections) {
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < services.size(); ++i) index[services[i].name] = i;
  enum Mark { kNone, kVisiting, kDone };
  std::vector<Mark> mark(services.size(), kNone);
  std::vector<std::size_t> order, path;
  std::function<void(std::size_t)> visit = [&](std::size_t i) {
    if (mark[i] == kDone) return;
    if (mark[i] == kVisiting) {
      std::string cycle;
      auto from = std::find(path.begin(), path.end(), i);
      for (auto it = from; it != path.end(); ++it) cycle += services[*it].name + " -> ";
      cycle += services[i].name;
      throw sections[path.back()].second.error("depends_on", "dependency cycle: " + cycle);
    }
    mark[i] = kVisiting;
    path.push_back(i);
    for (const auto& dep : services[i].depends_on) visit(index.at(dep));
    path.pop_back();
    mark[i] = kDone;
    order.push_back(i);
  };
  for (std::size_t i = 0; i < services.size(); ++i) visit(i);
  return order;
}

// How `s` becomes ready (ready:, ready_line:).
void read_readiness(config::Section& s, ServiceConfig& svc) {
  const auto ready = s.get<std::string>("ready", "started");
  if (ready == "hello") {
    svc.ready = Readiness::kHello;
  } else if (ready == "started") {
    svc.ready = Readiness::kStarted;
  } else if (ready == "line") {
    svc.ready = Readiness::kLine;
    svc.ready_line = s.required<std::string>("ready_line");
    if (svc.ready_line.empty()) throw s.error("ready_line", "must not be empty");
  } else {
    throw s.error("ready", "must be hello, started or line (got \"" + ready + "\")");
  }
}

// The service `name` of services: (section `s`), its ${...} references replaced from `vars`.
ServiceConfig read_service(const config::Section& root, const std::string& name, config::Section& s,
                           const std::map<std::string, std::string>& vars, const std::filesystem::path& runtime_dir) {
  ServiceConfig svc;
  svc.name = name;
  if (name.empty() || name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
                          std::string::npos) {
    throw root.error("services", "service name \"" + name + "\" must be [A-Za-z0-9_-]+");
  }
  svc.argv = s.required<std::vector<std::string>>("argv");
  if (svc.argv.empty() || svc.argv[0].empty()) throw s.error("argv", "must name a program");
  for (auto& arg : svc.argv) arg = substitute(arg, vars, s, "argv");
  svc.env = s.get("env", svc.env);
  for (auto& [k, v] : svc.env) v = substitute(v, vars, s, "env");
  if (!svc.env.contains("RUNTIME_DIRECTORY")) svc.env["RUNTIME_DIRECTORY"] = runtime_dir.string();
  svc.working_dir = substitute(s.get<std::string>("working_dir", ""), vars, s, "working_dir");
  if (!svc.working_dir.empty() && !std::filesystem::is_directory(svc.working_dir)) {
    throw s.error("working_dir", "\"" + svc.working_dir.string() + "\" is not a directory");
  }
  const auto executable = resolve_executable(svc.argv[0], svc.working_dir);
  if (!executable) throw s.error("argv", "\"" + svc.argv[0] + "\" is not an executable file (nor on PATH)");
  svc.executable = *executable;
  svc.restart = parse_restart(s);
  svc.depends_on = s.get("depends_on", svc.depends_on);
  read_readiness(s, svc);
  svc.restart_when_unhealthy = s.get("restart_when_unhealthy", svc.restart_when_unhealthy);
  s.finish();
  return svc;
}

}  // namespace

const char* to_string(RestartPolicy policy) {
  switch (policy) {
    case RestartPolicy::kAlways: return "always";
    case RestartPolicy::kOnFailure: return "on-failure";
    case RestartPolicy::kNever: return "never";
  }
  return "?";
}

SupervisorConfig load_supervisor_config(config::Section root,
                                        const std::optional<std::filesystem::path>& runtime_dir_override) {
  SupervisorConfig c;
  c.source_file = root.file();
  const oona::BusLocation bus = oona::read_bus_location(root, runtime_dir_override);
  c.runtime_dir = bus.runtime_dir;
  c.bus = bus.endpoints;
  c.bus_curve = bus.curve;
  c.bus_signing_key = bus.signing_key;
  c.bus_emergency_scheduling = bus.emergency_scheduling;
  c.publish_to_bus = root.get("publish_to_bus", c.publish_to_bus);
  c.control_endpoint = root.get<std::string>(
      "control_endpoint", "ipc://" + (c.runtime_dir / "weatherlight-control.sock").string());
  if (c.control_endpoint.rfind("ipc://", 0) != 0 && c.control_endpoint.rfind("tcp://", 0) != 0) {
    throw root.error("control_endpoint", "must be an ipc:// or tcp:// endpoint");
  }
  c.flush_interval = root.get("flush_interval", c.flush_interval);
  if (c.flush_interval.count() < 10) throw root.error("flush_interval", "must be at least 10ms");
  c.missed_flushes_unhealthy = root.get("missed_flushes_unhealthy", c.missed_flushes_unhealthy);
  if (c.missed_flushes_unhealthy == 0) throw root.error("missed_flushes_unhealthy", "must be at least 1");
  c.stop_timeout = root.get("stop_timeout", c.stop_timeout);
  if (auto b = root.optional_section("backoff")) read_backoff(*b, c.backoff);

  std::filesystem::path config_dir = std::filesystem::path(root.file()).parent_path();
  if (config_dir.empty()) config_dir = ".";
  const std::map<std::string, std::string> vars = {
      {"runtime_dir", c.runtime_dir.string()},
      {"config_dir", std::filesystem::absolute(config_dir).lexically_normal().string()}};

  auto sections = root.named_sections("services");
  if (sections.empty()) throw root.error("services", "at least one service is required");
  std::vector<ServiceConfig> services;
  for (auto& [name, s] : sections) services.push_back(read_service(root, name, s, vars, c.runtime_dir));

  // Dependencies name configured services; then a start order exists only without cycles.
  std::set<std::string> names;
  for (const auto& svc : services) names.insert(svc.name);
  for (std::size_t i = 0; i < services.size(); ++i) {
    for (const auto& dep : services[i].depends_on) {
      if (!names.contains(dep)) throw sections[i].second.error("depends_on", "no service named \"" + dep + "\"");
      if (dep == services[i].name) throw sections[i].second.error("depends_on", "a service cannot depend on itself");
    }
  }
  for (std::size_t i : start_order(services, sections)) c.services.push_back(services[i]);
  root.finish();
  return c;
}

SupervisorConfig load_supervisor_config_file(const std::filesystem::path& path,
                                             const std::optional<std::filesystem::path>& runtime_dir_override) {
  return load_supervisor_config(config::load_file(path), runtime_dir_override);
}

}  // namespace esper::weatherlight
