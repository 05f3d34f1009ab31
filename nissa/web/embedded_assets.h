// The files under nissa/web/assets/, compiled into Nissa (cmake/embed_web_assets.cmake writes the
// definition at build time), so the dashboard works offline and needs no install path.
#ifndef ESPER_NISSA_WEB_EMBEDDED_ASSETS_H_
#define ESPER_NISSA_WEB_EMBEDDED_ASSETS_H_

#include <string_view>
#include <vector>

namespace esper::nissa::web {

struct EmbeddedFile {
  std::string_view path;   // "/index.html", "/app.js": relative to nissa/web/assets/, with a leading '/'.
  std::string_view bytes;  // Static storage.
};

// Every embedded file, sorted by path.
const std::vector<EmbeddedFile>& embedded_files();

}  // namespace esper::nissa::web

#endif  // ESPER_NISSA_WEB_EMBEDDED_ASSETS_H_
