#include "config/config_error.h"

namespace esper::config {
namespace {

// "file.yaml:12: key 'a.b': problem", the shape compilers use, so editors can jump to it.
std::string format(const std::string& file, const std::string& key, int line,
                   const std::string& problem) {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!key.empty()) out += "key '" + key + "': ";
  out += problem;
  return out;
}

}  // namespace

ConfigError::ConfigError(std::string file, std::string key, int line, std::string problem)
    : std::runtime_error(format(file, key, line, problem)),
      file_(std::move(file)),
      key_(std::move(key)),
      line_(line),
      problem_(std::move(problem)) {}

}  // namespace esper::config
