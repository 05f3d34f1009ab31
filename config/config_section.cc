#include "config/config_section.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <cmath>
#include <limits>
#include <type_traits>

#include <spdlog/spdlog.h>

namespace esper::config {
namespace {

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Null: return "nothing";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    default: return "an undefined value";
  }
}

template <typename Int>
std::optional<Int> parse_integer(std::string_view text) {
  Int value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

std::optional<double> parse_double(std::string_view text) {
  if (text == ".inf" || text == "+.inf") return std::numeric_limits<double>::infinity();
  if (text == "-.inf") return -std::numeric_limits<double>::infinity();
  double value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || std::isnan(value)) return std::nullopt;
  return value;
}

// Splits "1.5s" into (1.5, "s").
std::optional<std::pair<double, std::string_view>> number_and_suffix(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  auto number = parse_double(text.substr(0, i));
  if (!number) return std::nullopt;
  std::string_view suffix = text.substr(i);
  while (!suffix.empty() && suffix.front() == ' ') suffix.remove_prefix(1);
  return std::make_pair(*number, suffix);
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  auto parsed = number_and_suffix(text);
  if (!parsed) return std::nullopt;
  const auto [number, suffix] = *parsed;
  double ms = 0;
  if (suffix == "ms") ms = number;
  else if (suffix == "s") ms = number * 1e3;
  else if (suffix == "m" || suffix == "min") ms = number * 60e3;
  else if (suffix == "h") ms = number * 3600e3;
  else return std::nullopt;
  if (ms > 1e15) return std::nullopt;
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(ms)));
}

std::optional<ByteSize> parse_byte_size(std::string_view text) {
  auto parsed = number_and_suffix(text);
  if (!parsed) return std::nullopt;
  const auto [number, suffix] = *parsed;
  double scale = 0;
  if (suffix.empty() || suffix == "B") scale = 1;
  else if (suffix == "KiB") scale = 1024.0;
  else if (suffix == "MiB") scale = 1024.0 * 1024;
  else if (suffix == "GiB") scale = 1024.0 * 1024 * 1024;
  else if (suffix == "KB") scale = 1e3;
  else if (suffix == "MB") scale = 1e6;
  else if (suffix == "GB") scale = 1e9;
  else return std::nullopt;
  const double bytes = number * scale;
  if (bytes > 1e18 || bytes != std::floor(bytes)) return std::nullopt;
  return ByteSize{static_cast<std::uint64_t>(bytes)};
}

Section::Section(std::shared_ptr<const std::string> file, YAML::Node node, std::string path)
    : file_(std::move(file)), node_(std::move(node)), path_(std::move(path)) {}

int Section::line() const { return line_of(node_); }

std::string Section::child_path(std::string_view key) const {
  return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
}

bool Section::has(std::string_view key) const {
  return node_.IsMap() && node_[std::string(key)].IsDefined() && !node_[std::string(key)].IsNull();
}

YAML::Node Section::lookup(std::string_view key) {
  known_.emplace(key);
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Null);
  YAML::Node child = node_[std::string(key)];
  return child.IsDefined() ? child : YAML::Node(YAML::NodeType::Null);
}

ConfigError Section::error(std::string_view key, std::string problem) const {
  int line = this->line();
  if (node_.IsMap()) {
    for (const auto& entry : node_) {
      if (entry.first.IsScalar() && entry.first.Scalar() == key) line = line_of(entry.first);
    }
  }
  return ConfigError(*file_, child_path(key), line, std::move(problem));
}

template <typename T>
T Section::convert(const YAML::Node& node, const std::string& key_path) const {
  auto fail = [&](std::string_view expected) {
    return ConfigError(*file_, key_path, line_of(node),
                       "expected " + std::string(expected) + ", got " + describe(node));
  };
  if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    if (!node.IsSequence()) throw fail("a list of strings");
    T out;
    for (std::size_t i = 0; i < node.size(); ++i) {
      out.push_back(convert<std::string>(node[i], key_path + "[" + std::to_string(i) + "]"));
    }
    return out;
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    if (!node.IsMap()) throw fail("a mapping of strings");
    T out;
    for (const auto& entry : node) {
      const std::string name = entry.first.Scalar();
      out[name] = convert<std::string>(entry.second, key_path + "." + name);
    }
    return out;
  } else {
    if (!node.IsScalar()) {
      if constexpr (std::is_same_v<T, std::string>) throw fail("a string");
      else throw fail("a scalar value");
    }
    const std::string& text = node.Scalar();
    if constexpr (std::is_same_v<T, std::string>) {
      return text;
    } else if constexpr (std::is_same_v<T, bool>) {
      if (text == "true" || text == "True" || text == "TRUE") return true;
      if (text == "false" || text == "False" || text == "FALSE") return false;
      throw fail("true or false");
    } else if constexpr (std::is_same_v<T, double>) {
      if (auto v = parse_double(text)) return *v;
      throw fail("a number");
    } else if constexpr (std::is_same_v<T, std::chrono::milliseconds>) {
      if (auto v = parse_duration(text)) return *v;
      throw fail("a duration such as 250ms, 1.5s, 2m or 1h");
    } else if constexpr (std::is_same_v<T, ByteSize>) {
      if (auto v = parse_byte_size(text)) return *v;
      throw fail("a size such as 4096, 512KiB or 64MiB");
    } else if constexpr (std::is_integral_v<T>) {
      if (auto v = parse_integer<T>(text)) return *v;
      throw fail(std::is_signed_v<T> ? "an integer" : "a non-negative integer");
    } else {
      static_assert(sizeof(T) == 0, "unsupported config value type");
    }
  }
}

template <typename T>
std::optional<T> Section::optional(std::string_view key) {
  YAML::Node child = lookup(key);
  if (child.IsNull()) return std::nullopt;
  return convert<T>(child, child_path(key));
}

template <typename T>
T Section::required(std::string_view key) {
  auto value = optional<T>(key);
  if (!value) {
    throw ConfigError(*file_, child_path(key), line(),
                      "required key is missing" +
                          (path_.empty() ? std::string() : " in '" + path_ + "'"));
  }
  return std::move(*value);
}

Section Section::section(std::string_view key) {
  auto found = optional_section(key);
  if (!found) {
    throw ConfigError(*file_, child_path(key), line(), "required section is missing");
  }
  return std::move(*found);
}

std::optional<Section> Section::optional_section(std::string_view key) {
  YAML::Node child = lookup(key);
  if (child.IsNull()) return std::nullopt;
  if (!child.IsMap()) {
    throw ConfigError(*file_, child_path(key), line_of(child),
                      "expected a mapping, got " + describe(child));
  }
  return Section(file_, child, child_path(key));
}

std::vector<Section> Section::sections(std::string_view key) {
  YAML::Node child = lookup(key);
  std::vector<Section> out;
  if (child.IsNull()) return out;
  if (!child.IsSequence()) {
    throw ConfigError(*file_, child_path(key), line_of(child),
                      "expected a list of mappings, got " + describe(child));
  }
  for (std::size_t i = 0; i < child.size(); ++i) {
    const std::string item_path = child_path(key) + "[" + std::to_string(i) + "]";
    if (!child[i].IsMap()) {
      throw ConfigError(*file_, item_path, line_of(child[i]),
                        "expected a mapping, got " + describe(child[i]));
    }
    out.push_back(Section(file_, child[i], item_path));
  }
  return out;
}

std::vector<std::pair<std::string, Section>> Section::named_sections(std::string_view key) {
  YAML::Node child = lookup(key);
  std::vector<std::pair<std::string, Section>> out;
  if (child.IsNull()) return out;
  if (!child.IsMap()) {
    throw ConfigError(*file_, child_path(key), line_of(child),
                      "expected a mapping of names to mappings, got " + describe(child));
  }
  for (const auto& entry : child) {
    const std::string name = entry.first.Scalar();
    const std::string item_path = child_path(key) + "." + name;
    YAML::Node value = entry.second;
    if (value.IsNull()) value = YAML::Node(YAML::NodeType::Map);  // "name:" alone: all defaults.
    if (!value.IsMap()) {
      throw ConfigError(*file_, item_path, line_of(entry.second),
                        "expected a mapping, got " + describe(entry.second));
    }
    out.emplace_back(name, Section(file_, value, item_path));
  }
  return out;
}

void Section::finish() const {
  if (!node_.IsMap()) return;
  for (const auto& entry : node_) {
    const std::string key = entry.first.Scalar();
    if (known_.contains(key)) continue;
    std::string expected;
    for (const auto& k : known_) expected += (expected.empty() ? "" : ", ") + k;
    throw ConfigError(*file_, child_path(key), line_of(entry.first),
                      "unknown key" + (expected.empty() ? std::string(" (this section takes no keys)")
                                                        : " (expected one of: " + expected + ")"));
  }
}

Section parse_document(std::string_view text, std::string file_name, bool* empty) {
  auto file = std::make_shared<const std::string>(std::move(file_name));
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    throw ConfigError(*file, "", e.mark.line >= 0 ? e.mark.line + 1 : 0,
                      "invalid YAML: " + e.msg);
  }
  *empty = root.IsNull();
  if (root.IsNull()) root = YAML::Node(YAML::NodeType::Map);  // An empty file means all defaults.
  if (!root.IsMap()) {
    throw ConfigError(*file, "", line_of(root), "the document must be a mapping, got " + describe(root));
  }
  return Section(file, root, "");
}

namespace {

constexpr std::size_t kMaxConfigBytes = 16u << 20;

std::string read_config_text(const std::filesystem::path& path) {
  const std::string name = path.string();
  // O_NONBLOCK: opening a FIFO given by mistake must not hang the process; fstat refuses it next.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) throw ConfigError(name, "", 0, "the file does not exist");
    throw ConfigError(name, "", 0, std::string("cannot open the file: ") + std::strerror(err));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw ConfigError(name, "", 0, std::string("cannot stat: ") + std::strerror(errno));
  // Reading a directory would give an empty text, that is "all defaults": a silent surprise.
  if (S_ISDIR(st.st_mode)) throw ConfigError(name, "", 0, "is a directory, not a config file");
  if (!S_ISREG(st.st_mode)) throw ConfigError(name, "", 0, "is not a regular file");
  std::string text;
  char buffer[64 * 1024];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      throw ConfigError(name, "", 0, std::string("cannot read the file: ") + std::strerror(errno));
    }
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > kMaxConfigBytes) {
      throw ConfigError(name, "", 0, "is larger than " + std::to_string(kMaxConfigBytes >> 20) + " MiB; not a config file");
    }
  }
  return text;
}

}  // namespace

Section parse_text(std::string_view text, std::string file_name) {
  bool empty = false;
  return parse_document(text, std::move(file_name), &empty);
}

Section load_file(const std::filesystem::path& path) {
  bool empty = false;
  Section root = parse_document(read_config_text(path), path.string(), &empty);
  // Legal, but rarely meant: an operator who points at an empty file should see that nothing in it
  // took effect.
  if (empty) spdlog::warn("config {} is empty: every setting takes its default", path.string());
  return root;
}

// The value types callers may ask for; anything else fails to link, not silently.
#define ESPER_CONFIG_INSTANTIATE(T)                                  \
  template T Section::required<T>(std::string_view);                 \
  template std::optional<T> Section::optional<T>(std::string_view);
ESPER_CONFIG_INSTANTIATE(bool)
ESPER_CONFIG_INSTANTIATE(std::string)
ESPER_CONFIG_INSTANTIATE(int)
ESPER_CONFIG_INSTANTIATE(std::int64_t)
ESPER_CONFIG_INSTANTIATE(std::uint32_t)
ESPER_CONFIG_INSTANTIATE(std::uint64_t)
ESPER_CONFIG_INSTANTIATE(double)
ESPER_CONFIG_INSTANTIATE(std::chrono::milliseconds)
ESPER_CONFIG_INSTANTIATE(ByteSize)
ESPER_CONFIG_INSTANTIATE(std::vector<std::string>)
using StringMap = std::map<std::string, std::string>;
ESPER_CONFIG_INSTANTIATE(StringMap)
#undef ESPER_CONFIG_INSTANTIATE

}  // namespace esper::config
