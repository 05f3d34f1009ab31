// Splits a child's output stream into lines for logging. A line longer than `max_line` is cut and
// logged in pieces, so one service printing without newlines cannot grow Weatherlight's memory.
#ifndef ESPER_WEATHERLIGHT_OUTPUT_LINES_H_
#define ESPER_WEATHERLIGHT_OUTPUT_LINES_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace esper::weatherlight {

class OutputLines {
 public:
  explicit OutputLines(std::size_t max_line = 64 * 1024) : max_line_(max_line) {}

  // Appends bytes read from the stream; returns the lines they completed (without '\n' or '\r').
  std::vector<std::string> append(std::string_view bytes);
  // At end of stream: the unterminated last line, if any.
  std::vector<std::string> finish();

 private:
  std::size_t max_line_;
  std::string partial_;
};

}  // namespace esper::weatherlight

#endif  // ESPER_WEATHERLIGHT_OUTPUT_LINES_H_
