#include "nissa/serve/admin_access.h"

#include <string_view>

namespace esper::nissa {
namespace {

// Compares in time that depends only on the lengths, so that timing does not reveal the token.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char difference = 0;
  for (std::size_t i = 0; i < a.size(); ++i) difference |= static_cast<unsigned char>(a[i] ^ b[i]);
  return difference == 0;
}

// Whether an Origin header ("http://127.0.0.1:9464") names a server of `hosts`; "null" (a sandboxed
// frame, a file: page) never does.
bool same_origin(std::string_view origin, const HostAllowlist& hosts) {
  for (std::string_view scheme : {"http://", "https://"}) {
    if (origin.substr(0, scheme.size()) == scheme) {
      const std::string_view authority = origin.substr(scheme.size());
      return authority.find('/') == std::string_view::npos && hosts.allows(authority);
    }
  }
  return false;
}

}  // namespace

AdminAccess::AdminAccess(std::optional<std::string> token, const HostAllowlist& hosts)
    : token_(std::move(token)), hosts_(hosts) {}

std::optional<AdminRefusal> AdminAccess::check(const AdminRequest& request) const {
  if (request.origin != nullptr && !same_origin(request.origin, hosts_)) {
    return AdminRefusal{403, "cross-origin request refused: Origin " + std::string(request.origin).substr(0, 200) +
                                 " is not this server",
                        HttpRefusal::kCrossOrigin};
  }
  if (token_) {
    constexpr std::string_view kBearer = "Bearer ";
    const std::string_view sent = request.authorization ? request.authorization : "";
    if (sent.substr(0, kBearer.size()) != kBearer || !same_secret(sent.substr(kBearer.size()), *token_)) {
      return AdminRefusal{401, "admin endpoint: send Authorization: Bearer <the token in http.admin_token_file>",
                          HttpRefusal::kAdminUnauthorized};
    }
    return std::nullopt;
  }
  if (!request.loopback_client) {
    return AdminRefusal{403, "admin endpoint: answered to loopback clients only, unless http.admin_token_file is set",
                        HttpRefusal::kAdminUnauthorized};
  }
  if (request.admin_header == nullptr || std::string_view(request.admin_header) != "1") {
    return AdminRefusal{403, std::string("admin endpoint: send the header ") + kAdminHeader + ": 1",
                        HttpRefusal::kAdminUnauthorized};
  }
  return std::nullopt;
}

}  // namespace esper::nissa
