#include "logging/syslog_prefix.h"

namespace esper::logging {

int syslog_priority(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace:
    case spdlog::level::debug: return 7;
    case spdlog::level::info: return 6;
    case spdlog::level::warn: return 4;
    case spdlog::level::err: return 3;
    case spdlog::level::critical: return 2;
    default: return 6;
  }
}

std::optional<PrefixedLine> parse_syslog_prefix(std::string_view line) {
  if (line.size() < 3 || line[0] != '<' || line[2] != '>' || line[1] < '0' || line[1] > '7') {
    return std::nullopt;
  }
  static constexpr spdlog::level::level_enum kLevels[8] = {
      spdlog::level::critical, spdlog::level::critical, spdlog::level::critical, spdlog::level::err,
      spdlog::level::warn,     spdlog::level::info,     spdlog::level::info,     spdlog::level::debug};
  return PrefixedLine{kLevels[line[1] - '0'], line.substr(3)};
}

void SyslogPrefixFlag::format(const spdlog::details::log_msg& msg, const std::tm&,
                              spdlog::memory_buf_t& dest) {
  const char prefix[3] = {'<', static_cast<char>('0' + syslog_priority(msg.level)), '>'};
  dest.append(prefix, prefix + 3);
}

}  // namespace esper::logging
