#include "nissa/web/dashboard_assets.h"

#include "nissa/web/embedded_assets.h"

namespace esper::nissa::web {

std::string_view content_type_for(std::string_view file_name) {
  const auto ends_with = [&](std::string_view suffix) { return file_name.ends_with(suffix); };
  if (ends_with(".html")) return "text/html; charset=utf-8";
  if (ends_with(".js")) return "text/javascript; charset=utf-8";
  if (ends_with(".css")) return "text/css; charset=utf-8";
  if (ends_with(".svg")) return "image/svg+xml";
  if (ends_with(".png")) return "image/png";
  if (ends_with(".json")) return "application/json";
  return "application/octet-stream";
}

std::vector<DashboardAsset> dashboard_assets() {
  std::vector<DashboardAsset> assets;
  for (const EmbeddedFile& file : embedded_files()) {
    const std::string url = file.path == "/index.html" ? "/" : "/assets" + std::string(file.path);
    assets.push_back({url, content_type_for(file.path), file.bytes});
  }
  return assets;
}

std::vector<std::pair<std::string, std::string>> dashboard_asset_headers() {
  return {{"Content-Security-Policy", std::string(kContentSecurityPolicy)},
          {"X-Content-Type-Options", "nosniff"},
          {"Cache-Control", "no-cache"},
          {"Referrer-Policy", "no-referrer"},
          {"X-Frame-Options", "DENY"}};
}

}  // namespace esper::nissa::web
