// Requests Nissa's HTTP server refused for where they came from rather than for what they asked:
// a Host that is not this server's (nissa/serve/host_allowlist.h), a cross-origin request to an admin
// endpoint, an admin request without the token or header (nissa/serve/admin_access.h). The server counts
// them here; Nissa publishes them as nissa.http_refused_total{reason}.
#ifndef ESPER_NISSA_SERVE_HTTP_REFUSALS_H_
#define ESPER_NISSA_SERVE_HTTP_REFUSALS_H_

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace esper::nissa {

enum class HttpRefusal { kForeignHost, kCrossOrigin, kAdminUnauthorized };
inline constexpr std::array<HttpRefusal, 3> kHttpRefusals = {HttpRefusal::kForeignHost, HttpRefusal::kCrossOrigin,
                                                             HttpRefusal::kAdminUnauthorized};

// The `reason` label: foreign_host, cross_origin, admin_unauthorized.
constexpr std::string_view http_refusal_name(HttpRefusal refusal) {
  switch (refusal) {
    case HttpRefusal::kForeignHost: return "foreign_host";
    case HttpRefusal::kCrossOrigin: return "cross_origin";
    case HttpRefusal::kAdminUnauthorized: return "admin_unauthorized";
  }
  return "unknown";
}

// Thread-safe counters, one per reason.
class HttpRefusals {
 public:
  void count(HttpRefusal refusal) { counts_[static_cast<std::size_t>(refusal)].fetch_add(1, std::memory_order_relaxed); }
  std::uint64_t total(HttpRefusal refusal) const {
    return counts_[static_cast<std::size_t>(refusal)].load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<std::uint64_t>, kHttpRefusals.size()> counts_{};
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_HTTP_REFUSALS_H_
