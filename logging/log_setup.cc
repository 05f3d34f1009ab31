#include "logging/log_setup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/sinks/systemd_sink.h>

#include "logging/syslog_prefix.h"

namespace esper::logging {

bool stderr_is_journal() {
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(stream, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

void setup_logging(std::string_view process_name, spdlog::level::level_enum level) {
  std::shared_ptr<spdlog::logger> logger;
  const std::string name(process_name);
  if (stderr_is_journal()) {
    // The journal records time, process and priority itself.
    auto sink = std::make_shared<spdlog::sinks::systemd_sink_mt>(name);
    logger = std::make_shared<spdlog::logger>(name, std::move(sink));
    logger->set_pattern("%v");
  } else if (const char* service = std::getenv("ESPER_SERVICE_NAME"); service && *service) {
    // Under Weatherlight, which stamps each line itself: only the level, as a "<N>" prefix.
    auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    logger = std::make_shared<spdlog::logger>(name, std::move(sink));
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<SyslogPrefixFlag>('*').set_pattern("%*%v");
    logger->set_formatter(std::move(formatter));
  } else {
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    logger = std::make_shared<spdlog::logger>(name, std::move(sink));
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%-5l%$ %n[%P] %v");
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
}

bool setup_logging(std::string_view process_name, std::string_view level_name) {
  const auto level = parse_level(level_name);
  if (!level) {
    std::fprintf(stderr, "%.*s: unknown log level '%.*s' (trace, debug, info, warn, error)\n",
                 static_cast<int>(process_name.size()), process_name.data(),
                 static_cast<int>(level_name.size()), level_name.data());
    return false;
  }
  setup_logging(process_name, *level);
  return true;
}

std::optional<spdlog::level::level_enum> parse_level(std::string_view name) {
  if (name == "trace") return spdlog::level::trace;
  if (name == "debug") return spdlog::level::debug;
  if (name == "info") return spdlog::level::info;
  if (name == "warn" || name == "warning") return spdlog::level::warn;
  if (name == "error") return spdlog::level::err;
  if (name == "critical") return spdlog::level::critical;
  if (name == "off") return spdlog::level::off;
  return std::nullopt;
}

}  // namespace esper::logging
