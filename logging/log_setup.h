// Logging set-up shared by every Esper process. Under systemd (JOURNAL_STREAM set and pointing at
// our stderr) logs go to the journal with the matching priority; under Weatherlight
// (ESPER_SERVICE_NAME set) to stderr as "<N>message" lines, which Weatherlight logs at that level
// (logging/syslog_prefix.h); otherwise to stderr, coloured when it is a terminal.
#ifndef ESPER_LOGGING_LOG_SETUP_H_
#define ESPER_LOGGING_LOG_SETUP_H_

#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace esper::logging {

// Installs the default logger for `process_name` at `level`. Safe to call again (replaces it).
void setup_logging(std::string_view process_name,
                   spdlog::level::level_enum level = spdlog::level::info);

// The same from a --log-level flag: false (after saying so on stderr) when the name is unknown.
bool setup_logging(std::string_view process_name, std::string_view level_name);

// Parses "trace", "debug", "info", "warn"/"warning", "error", "critical", "off".
std::optional<spdlog::level::level_enum> parse_level(std::string_view name);

// True when stderr is the stream systemd's JOURNAL_STREAM names (see systemd.exec(5)).
bool stderr_is_journal();

}  // namespace esper::logging

#endif  // ESPER_LOGGING_LOG_SETUP_H_
