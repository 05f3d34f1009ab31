#include "nissa/serve/host_allowlist.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <optional>

namespace esper::nissa {
namespace {

// An IP literal in a comparable form (family and bytes), or nullopt for a name.
std::optional<std::pair<int, std::array<unsigned char, 16>>> ip_literal(const std::string& host) {
  std::array<unsigned char, 16> bytes{};
  if (::inet_pton(AF_INET, host.c_str(), bytes.data()) == 1) return std::pair{AF_INET, bytes};
  if (::inet_pton(AF_INET6, host.c_str(), bytes.data()) == 1) return std::pair{AF_INET6, bytes};
  return std::nullopt;
}

bool is_loopback(const std::string& host) {
  if (host == "localhost") return true;
  const auto ip = ip_literal(host);
  if (!ip) return false;
  const auto& b = ip->second;
  if (ip->first == AF_INET) return b[0] == 127;
  static constexpr std::array<unsigned char, 16> kLoopback6{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
  static constexpr std::array<unsigned char, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return b == kLoopback6 || (std::equal(kMapped.begin(), kMapped.end(), b.begin()) && b[12] == 127);
}

bool same_host(const std::string& a, const std::string& b) {
  const auto ia = ip_literal(a), ib = ip_literal(b);
  if (ia && ib) return *ia == *ib;  // 127.0.0.1 and ::ffff:... differ; fine: neither is rebinding.
  return a == b;
}

bool host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_' || c == ':';
}

}  // namespace

bool split_host_port(std::string_view authority, std::string* host, std::string* port) {
  std::string_view h = authority, p;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return false;
    h = authority.substr(1, close - 1);
    const auto rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return false;
      has_port = true;
      p = rest.substr(1);
    }
  } else if (const auto colon = authority.find(':');
             colon != std::string_view::npos && authority.find(':', colon + 1) == std::string_view::npos) {
    h = authority.substr(0, colon);
    has_port = true;
    p = authority.substr(colon + 1);
  }  // More than one colon without brackets: a bare IPv6 address, no port.
  if (has_port) {
    unsigned number = 0;
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), number);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || number > 65535) return false;
  }
  if (h.empty() || !std::all_of(h.begin(), h.end(), host_char)) return false;
  host->assign(h);
  std::transform(host->begin(), host->end(), host->begin(), [](unsigned char c) { return std::tolower(c); });
  if (host->size() > 1 && host->back() == '.') host->pop_back();  // "localhost." is localhost.
  port->assign(p);
  return true;
}

HostAllowlist::HostAllowlist(std::string_view bound_address, const std::vector<std::string>& allowed_hosts) {
  std::string ignored_port;
  if (!split_host_port(bound_address, &bound_, &ignored_port)) bound_ = std::string(bound_address);
  bound_wildcard_ = bound_ == "0.0.0.0" || bound_ == "::" || bound_.empty();
  for (const auto& allowed : allowed_hosts) {
    if (allowed == "*") {
      any_ = true;
      continue;
    }
    Entry entry;
    if (split_host_port(allowed, &entry.name, &entry.port)) entries_.push_back(std::move(entry));
  }
}

bool HostAllowlist::allows(std::string_view host_header) const {
  if (any_) return true;
  std::string host, port;
  if (!split_host_port(host_header, &host, &port)) return false;
  if (is_loopback(host)) return true;
  if (same_host(host, bound_)) return true;
  if (bound_wildcard_ && ip_literal(host)) return true;
  return std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
    return same_host(e.name, host) && (e.port.empty() || e.port == port);
  });
}

}  // namespace esper::nissa
