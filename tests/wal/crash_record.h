// The payload format of the crash-test writer: "<id>|<filler>", the filler a function of the id.
#ifndef ESPER_TESTS_WAL_CRASH_RECORD_H_
#define ESPER_TESTS_WAL_CRASH_RECORD_H_

#include <optional>
#include <string>
#include <string_view>

namespace esper::testing {

inline std::string crash_filler(std::string_view id) {
  std::string filler;
  const std::size_t n = 40 + id.size() * 3;
  for (std::size_t i = 0; i < n; ++i) filler += static_cast<char>('a' + (id[i % id.size()] + i) % 26);
  return filler;
}

inline std::string crash_payload(std::string_view id) { return std::string(id) + "|" + crash_filler(id); }

// The id if `payload` is a well-formed crash record, nullopt if it is garbage.
inline std::optional<std::string> parse_crash_payload(std::string_view payload) {
  const auto bar = payload.find('|');
  if (bar == std::string_view::npos || bar == 0) return std::nullopt;
  const std::string_view id = payload.substr(0, bar);
  if (payload.substr(bar + 1) != crash_filler(id)) return std::nullopt;
  return std::string(id);
}

}  // namespace esper::testing

#endif  // ESPER_TESTS_WAL_CRASH_RECORD_H_
