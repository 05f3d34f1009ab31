// What Nissa serves for its dashboard: each embedded file (nissa/web/embedded_assets.h) under its
// URL path, with its Content-Type and the headers that keep a browser strict about it.
//   - Content-Security-Policy: default-src 'self' (no inline script or style, nothing from another
//     origin, no framing), so an injected string in a metric name cannot run as code;
//   - X-Content-Type-Options: nosniff, so a JSON or text reply is never run as a script;
//   - Cache-Control: no-cache: the browser revalidates, so a new Nissa never runs an old app.js.
// The page itself is "/" (index.html); the other files are under "/assets/".
#ifndef ESPER_NISSA_WEB_DASHBOARD_ASSETS_H_
#define ESPER_NISSA_WEB_DASHBOARD_ASSETS_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace esper::nissa::web {

inline constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

struct DashboardAsset {
  std::string url_path;      // "/" for index.html, else "/assets/<file>".
  std::string_view content_type;
  std::string_view bytes;
};

// The Content-Type for a file name by its extension (application/octet-stream if unknown).
std::string_view content_type_for(std::string_view file_name);

// Every embedded file, index.html as "/".
std::vector<DashboardAsset> dashboard_assets();

// The headers every dashboard asset is served with (besides Content-Type).
std::vector<std::pair<std::string, std::string>> dashboard_asset_headers();

}  // namespace esper::nissa::web

#endif  // ESPER_NISSA_WEB_DASHBOARD_ASSETS_H_
