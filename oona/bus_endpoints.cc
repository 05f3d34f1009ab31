#include "oona/bus_endpoints.h"

#include <unistd.h>

#include <cstdlib>

namespace esper::oona {

std::filesystem::path default_runtime_dir() {
  if (const char* dir = std::getenv("RUNTIME_DIRECTORY"); dir != nullptr && *dir != '\0') {
    return dir;
  }
  if (const char* dir = std::getenv("XDG_RUNTIME_DIR"); dir != nullptr && *dir != '\0') {
    return std::filesystem::path(dir) / "esper";
  }
  return "/tmp/esper-" + std::to_string(getuid());
}

BusEndpoints endpoints_under(const std::filesystem::path& runtime_dir) {
  auto ipc = [&](const char* name) { return "ipc://" + (runtime_dir / name).string(); };
  return BusEndpoints{ipc("oona-normal-in.sock"), ipc("oona-emergency-in.sock"),
                      ipc("oona-normal-out.sock"), ipc("oona-emergency-out.sock")};
}

}  // namespace esper::oona
