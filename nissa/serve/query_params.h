// The query string of a request to Nissa's HTTP API, decoded and checked once, at the edge (the
// HTTP server), so that no handler, store or JSON reply behind it ever sees bytes that are not
// UTF-8. The rules (application/x-www-form-urlencoded, strictly):
//
//   - `&` separates parameters; empty ones (`a=1&&b=2`, a trailing `&`) are skipped;
//   - the first `=` separates name and value: `a=b=c` is a = "b=c", a lone `a` is a = "";
//   - `+` is a space and `%XY` the byte 0xXY; any other `%` is a malformed escape;
//   - decoded names and values must be valid UTF-8 without NUL bytes;
//   - a name must not be empty nor given twice, and the limits below hold.
//
// A query string breaking a rule is refused with the offending parameter's name (made printable)
// and the reason; the server answers 400 with bad_parameter_json().
#ifndef ESPER_NISSA_SERVE_QUERY_PARAMS_H_
#define ESPER_NISSA_SERVE_QUERY_PARAMS_H_

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace esper::nissa {

// Parameter name → value. From the edge each name occurs once; it is a multimap so that handlers,
// which tests call directly, can still tell a repeated name apart.
using QueryParams = std::multimap<std::string, std::string>;

// Far above what any endpoint takes (at most seven parameters plus attr.<key> filters); they bound
// the work and memory one request can cause.
inline constexpr std::size_t kMaxQueryParameters = 64;
inline constexpr std::size_t kMaxParameterNameBytes = 256;
inline constexpr std::size_t kMaxParameterValueBytes = 4096;

struct QueryParamError {
  std::string parameter;  // The name as printable() shows it; empty for a parameter without a name.
  std::string error;
};

struct ParsedQuery {
  QueryParams params;  // Meaningful only when there is no error.
  std::optional<QueryParamError> error;
  bool ok() const { return !error.has_value(); }
};

// Decodes and checks `query` (the part of the request target after '?', without the '?').
ParsedQuery parse_query_string(std::string_view query);

// Whether `bytes` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points
// above U+10FFFF).
bool is_valid_utf8(std::string_view bytes);

// `bytes` made safe to show in a JSON reply or a log line: valid UTF-8 is kept, every other byte
// and every control character (NUL included) becomes %XY; cut to about `max_bytes` with "...".
std::string printable(std::string_view bytes, std::size_t max_bytes = 128);

// The body of a 400 reply, {"error": error, "parameter": parameter}, with both made printable, so
// it can be built from any bytes and never throws on them.
std::string bad_parameter_json(std::string_view parameter, std::string_view error);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_QUERY_PARAMS_H_
