// Who may call Nissa's state-changing endpoints (routes marked `admin`: POST /api/v1/admin/reload).
// Any web page the operator has open can make the browser send a request to 127.0.0.1:9464; a form
// or a fetch() with a "simple" content type (text/plain, form data) goes out without the browser
// asking Nissa first. What such a request cannot carry without a CORS preflight, which Nissa never
// approves (OPTIONS gets 405), is a header of the page's choosing. So an admin request needs
//   - `Authorization: Bearer <token>` when `http.admin_token_file` is set (then nothing else will do:
//     401 without it), or else
//   - a loopback client and `X-Esper-Admin: 1` (403 without them);
// and an `Origin` header, when there is one, must name this server (nissa/serve/host_allowlist.h): a
// cross-origin request is refused (403) whatever it carries.
#ifndef ESPER_NISSA_SERVE_ADMIN_ACCESS_H_
#define ESPER_NISSA_SERVE_ADMIN_ACCESS_H_

#include <optional>
#include <string>

#include "nissa/serve/host_allowlist.h"
#include "nissa/serve/http_refusals.h"

namespace esper::nissa {

inline constexpr const char* kAdminHeader = "X-Esper-Admin";

// The parts of a request that decide; null when the header is absent.
struct AdminRequest {
  const char* authorization = nullptr;
  const char* admin_header = nullptr;
  const char* origin = nullptr;
  bool loopback_client = false;
};

struct AdminRefusal {
  int status = 403;  // 401 when a token is configured and was not sent (or was wrong).
  std::string error;
  HttpRefusal reason = HttpRefusal::kAdminUnauthorized;
};

class AdminAccess {
 public:
  // `token`: the admin token, if one is configured. `hosts` must outlive this.
  AdminAccess(std::optional<std::string> token, const HostAllowlist& hosts);

  // Nothing if the request may go on; else why not.
  std::optional<AdminRefusal> check(const AdminRequest& request) const;
  bool has_token() const { return token_.has_value(); }

 private:
  std::optional<std::string> token_;
  const HostAllowlist& hosts_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_ADMIN_ACCESS_H_
