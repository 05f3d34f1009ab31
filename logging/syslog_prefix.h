// The "<N>" priority prefix of sd-daemon(3) on log lines written to a pipe: "<4>disk almost full"
// is a warning. systemd reads it on a service's stderr, and so does Weatherlight on its children's
// output, which it logs under the child's name at the child's level.
//
// An Esper process supervised by Weatherlight (ESPER_SERVICE_NAME set, stderr not the journal)
// writes its log lines as "<N>message" only: Weatherlight adds the time, its own name and the
// service's, so a supervised line is not stamped twice.
#ifndef ESPER_LOGGING_SYSLOG_PREFIX_H_
#define ESPER_LOGGING_SYSLOG_PREFIX_H_

#include <memory>
#include <optional>
#include <string_view>

#include <spdlog/pattern_formatter.h>
#include <spdlog/spdlog.h>

namespace esper::logging {

// 7 debug (and trace), 6 info, 4 warning, 3 error, 2 critical.
int syslog_priority(spdlog::level::level_enum level);

struct PrefixedLine {
  spdlog::level::level_enum level;
  std::string_view text;  // The line without its prefix.
};
// The level a "<N>" prefix names (0..7; 5, notice, is info) and the rest of the line; nullopt if
// the line has no such prefix.
std::optional<PrefixedLine> parse_syslog_prefix(std::string_view line);

// spdlog pattern flag that writes a message's "<N>" prefix: formatter->add_flag<SyslogPrefixFlag>('*').
class SyslogPrefixFlag : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPrefixFlag>();
  }
};

}  // namespace esper::logging

#endif  // ESPER_LOGGING_SYSLOG_PREFIX_H_
