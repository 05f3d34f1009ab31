// The error every config loader throws: it names the file, the key (as a dotted path from the
// document root, e.g. "services[2].restart") and the 1-based line, so an operator can go straight
// to the mistake.
#ifndef ESPER_CONFIG_CONFIG_ERROR_H_
#define ESPER_CONFIG_CONFIG_ERROR_H_

#include <stdexcept>
#include <string>

namespace esper::config {

class ConfigError : public std::runtime_error {
 public:
  // `line` is 1-based; 0 means the error concerns the whole file (e.g. it cannot be read).
  ConfigError(std::string file, std::string key, int line, std::string problem);

  const std::string& file() const { return file_; }
  const std::string& key() const { return key_; }
  int line() const { return line_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string file_;
  std::string key_;
  int line_;
  std::string problem_;
};

}  // namespace esper::config

#endif  // ESPER_CONFIG_CONFIG_ERROR_H_
