// Typed reading of YAML configuration. A Section is one YAML mapping; callers ask it for typed
// values by key and finally call finish(), which refuses any key nobody asked for. Every error is
// a ConfigError naming file, dotted key path and line.
//
//   auto root = config::load_file(path);
//   Options o;
//   o.flush_interval = root.get("flush_interval", std::chrono::milliseconds(1000));
//   for (auto& svc : root.sections("services")) { ...; svc.finish(); }
//   root.finish();
//
// Supported value types: bool, std::string, int, int64_t, uint32_t, uint64_t, double,
// std::chrono::milliseconds (written "250ms", "1.5s", "2m", "1h"), ByteSize ("64MiB", "4096"),
// std::vector<std::string>, std::map<std::string, std::string>.
#ifndef ESPER_CONFIG_CONFIG_SECTION_H_
#define ESPER_CONFIG_CONFIG_SECTION_H_

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "config/config_error.h"

namespace esper::config {

// A size in bytes, written in YAML as a plain integer or with a suffix: B, KiB, MiB, GiB (powers of
// 1024) or KB, MB, GB (powers of 1000).
struct ByteSize {
  std::uint64_t bytes = 0;
  bool operator==(const ByteSize&) const = default;
};

class Section {
 public:
  // The key path of this section from the document root ("" for the root).
  const std::string& path() const { return path_; }
  const std::string& file() const { return *file_; }
  int line() const;  // 1-based line where this section starts.

  bool has(std::string_view key) const;

  template <typename T>
  T required(std::string_view key);
  template <typename T>
  std::optional<T> optional(std::string_view key);
  template <typename T>
  T get(std::string_view key, T fallback) {
    auto value = optional<T>(key);
    return value ? std::move(*value) : std::move(fallback);
  }

  Section section(std::string_view key);                          // A required mapping.
  std::optional<Section> optional_section(std::string_view key);  // A mapping, if present.
  std::vector<Section> sections(std::string_view key);            // A list of mappings; empty if absent.
  // A mapping whose keys are names chosen by the user (e.g. services by name), each a mapping.
  std::vector<std::pair<std::string, Section>> named_sections(std::string_view key);

  // Throws for the first key present in the file that no call above asked for.
  void finish() const;

  // An error about `key` of this section (at the key's line when present) for checks the caller
  // makes itself, e.g. "must be greater than 0".
  ConfigError error(std::string_view key, std::string problem) const;

 private:
  friend Section parse_document(std::string_view, std::string, bool*);
  Section(std::shared_ptr<const std::string> file, YAML::Node node, std::string path);

  YAML::Node lookup(std::string_view key);  // Marks the key as known; null node if absent.
  std::string child_path(std::string_view key) const;
  template <typename T>
  T convert(const YAML::Node& node, const std::string& key_path) const;

  std::shared_ptr<const std::string> file_;
  YAML::Node node_;
  std::string path_;
  std::set<std::string, std::less<>> known_;
};

// Parses a YAML file into its root section. Syntax errors are ConfigErrors, and so is a path that is
// missing, a directory, not a regular file, or unreadable (each said in the message). An empty file
// means every default, and says so in the log (a warning).
Section load_file(const std::filesystem::path& path);
// The same for text already in memory; `file_name` is used in error messages.
Section parse_text(std::string_view text, std::string file_name);
// parse_text that also says whether the document was empty (no YAML content at all).
Section parse_document(std::string_view text, std::string file_name, bool* empty);

// The textual forms accepted for durations and sizes, exposed for command-line flags.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::optional<ByteSize> parse_byte_size(std::string_view text);

}  // namespace esper::config

#endif  // ESPER_CONFIG_CONFIG_SECTION_H_
