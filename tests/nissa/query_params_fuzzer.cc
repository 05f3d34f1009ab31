// libFuzzer target for the query-string module: arbitrary bytes as the query string of a request.
// It must never crash, hang or leak; whatever it accepts must be valid UTF-8 without NUL within the
// limits, serialize to JSON, and survive re-encoding; whatever it refuses must make a JSON body.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "nissa/serve/query_params.h"

namespace {

std::string percent_encode(const std::string& text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    out += '%';
    out += kHex[byte >> 4];
    out += kHex[byte & 0xF];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using esper::nissa::parse_query_string;
  const std::string_view query(reinterpret_cast<const char*>(data), size);
  const esper::nissa::ParsedQuery parsed = parse_query_string(query);
  if (!parsed.ok()) {
    const std::string body = esper::nissa::bad_parameter_json(parsed.error->parameter, parsed.error->error);
    if (!nlohmann::json::accept(body)) __builtin_trap();
    if (!esper::nissa::is_valid_utf8(parsed.error->parameter)) __builtin_trap();
    return 0;
  }
  if (parsed.params.size() > esper::nissa::kMaxQueryParameters) __builtin_trap();
  nlohmann::json all = nlohmann::json::object();
  std::string again;
  for (const auto& [name, value] : parsed.params) {
    if (name.empty() || name.size() > esper::nissa::kMaxParameterNameBytes) __builtin_trap();
    if (value.size() > esper::nissa::kMaxParameterValueBytes) __builtin_trap();
    if (name.find('\0') != std::string::npos || value.find('\0') != std::string::npos) __builtin_trap();
    all[name] = value;
    again += percent_encode(name) + "=" + percent_encode(value) + "&";
  }
  (void)all.dump();  // Throws (and so fails) on bytes that are not UTF-8.
  const esper::nissa::ParsedQuery reparsed = parse_query_string(again);
  if (!reparsed.ok() || reparsed.params != parsed.params) __builtin_trap();
  return 0;
}
