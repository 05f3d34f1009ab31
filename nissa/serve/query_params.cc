#include "nissa/serve/query_params.h"

#include <cstdint>

#include <nlohmann/json.hpp>

namespace esper::nissa {
namespace {

// The length of the well-formed UTF-8 sequence starting at bytes[at], or 0 if there is none.
std::size_t utf8_sequence_length(std::string_view bytes, std::size_t at) {
  const auto lead = static_cast<unsigned char>(bytes[at]);
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  std::uint32_t code_point = 0;
  std::uint32_t smallest = 0;  // Below it the form is overlong.
  if ((lead & 0xE0) == 0xC0) {
    length = 2, code_point = lead & 0x1Fu, smallest = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    length = 3, code_point = lead & 0x0Fu, smallest = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    length = 4, code_point = lead & 0x07u, smallest = 0x10000;
  } else {
    return 0;
  }
  if (bytes.size() - at < length) return 0;
  for (std::size_t i = 1; i < length; ++i) {
    const auto next = static_cast<unsigned char>(bytes[at + i]);
    if ((next & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (next & 0x3Fu);
  }
  if (code_point < smallest || code_point > 0x10FFFF || (code_point >= 0xD800 && code_point <= 0xDFFF)) return 0;
  return length;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// `+` and %XY decoded; nullopt for a malformed escape.
std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '+') {
      out += ' ';
    } else if (in[i] != '%') {
      out += in[i];
    } else {
      if (in.size() - i < 3) return std::nullopt;
      const int h = hex_digit(in[i + 1]);
      const int l = hex_digit(in[i + 2]);
      if (h < 0 || l < 0) return std::nullopt;
      out += static_cast<char>(h * 16 + l);
      i += 2;
    }
  }
  return out;
}

// Why `text` (a decoded name or value) is refused, or nullptr.
const char* invalid_text(std::string_view text) {
  if (!is_valid_utf8(text)) return "not valid UTF-8";
  if (text.find('\0') != std::string_view::npos) return "contains a NUL byte";
  return nullptr;
}

ParsedQuery refuse(std::string_view parameter, std::string error) {
  ParsedQuery parsed;
  parsed.error = QueryParamError{printable(parameter), std::move(error)};
  return parsed;
}

}  // namespace

bool is_valid_utf8(std::string_view bytes) {
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t length = utf8_sequence_length(bytes, at);
    if (length == 0) return false;
    at += length;
  }
  return true;
}

std::string printable(std::string_view bytes, std::size_t max_bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (std::size_t at = 0; at < bytes.size();) {
    if (out.size() >= max_bytes) {
      out += "...";
      break;
    }
    const auto byte = static_cast<unsigned char>(bytes[at]);
    const std::size_t length = utf8_sequence_length(bytes, at);
    if (length == 0 || byte < 0x20 || byte == 0x7F) {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
      ++at;
    } else {
      out.append(bytes.substr(at, length));
      at += length;
    }
  }
  return out;
}

std::string bad_parameter_json(std::string_view parameter, std::string_view error) {
  return nlohmann::json{{"error", printable(error, 1024)}, {"parameter", printable(parameter)}}.dump();
}

ParsedQuery parse_query_string(std::string_view query) {
  ParsedQuery parsed;
  std::size_t count = 0;
  std::size_t start = 0;
  while (start < query.size()) {
    std::size_t end = query.find('&', start);
    if (end == std::string_view::npos) end = query.size();
    const std::string_view part = query.substr(start, end - start);
    start = end + 1;
    if (part.empty()) continue;

    const std::size_t eq = part.find('=');
    const std::string_view raw_name = part.substr(0, eq);
    const std::string_view raw_value = eq == std::string_view::npos ? std::string_view() : part.substr(eq + 1);
    const auto name = percent_decode(raw_name);
    if (!name) return refuse(raw_name, "malformed percent-escape in the parameter name");
    if (++count > kMaxQueryParameters) {
      return refuse(*name, "more than " + std::to_string(kMaxQueryParameters) + " parameters");
    }
    if (name->empty()) return refuse("", "parameter without a name");
    if (const char* why = invalid_text(*name)) return refuse(*name, std::string("parameter name ") + why);
    if (name->size() > kMaxParameterNameBytes) {
      return refuse(*name, "name longer than " + std::to_string(kMaxParameterNameBytes) + " bytes");
    }
    auto value = percent_decode(raw_value);
    if (!value) return refuse(*name, "malformed percent-escape in the value");
    if (const char* why = invalid_text(*value)) return refuse(*name, std::string("value ") + why);
    if (value->size() > kMaxParameterValueBytes) {
      return refuse(*name, "value longer than " + std::to_string(kMaxParameterValueBytes) + " bytes");
    }
    if (parsed.params.contains(*name)) return refuse(*name, "given more than once");
    parsed.params.emplace(std::move(*name), std::move(*value));
  }
  return parsed;
}

}  // namespace esper::nissa
