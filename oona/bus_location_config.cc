#include "oona/bus_location_config.h"

#include <string>

namespace esper::oona {

BusLocation read_bus_location(config::Section& root,
                              const std::optional<std::filesystem::path>& runtime_dir_override) {
  BusLocation location;
  const auto configured_dir = root.optional<std::string>("runtime_dir");
  location.runtime_dir = runtime_dir_override ? *runtime_dir_override
                         : configured_dir     ? std::filesystem::path(*configured_dir)
                                              : default_runtime_dir();
  location.endpoints = endpoints_under(location.runtime_dir);
  if (auto endpoints = root.optional_section("endpoints")) {
    struct Key {
      const char* name;
      std::string* value;
    };
    BusEndpoints& e = location.endpoints;
    for (Key key : {Key{"normal_ingress", &e.normal_ingress}, Key{"emergency_ingress", &e.emergency_ingress},
                    Key{"normal_egress", &e.normal_egress}, Key{"emergency_egress", &e.emergency_egress}}) {
      *key.value = endpoints->get(key.name, *key.value);
      if (key.value->rfind("ipc://", 0) != 0 && key.value->rfind("tcp://", 0) != 0) {
        throw endpoints->error(key.name, "must be an ipc:// or tcp:// endpoint");
      }
    }
    endpoints->finish();
  }
  return location;
}

}  // namespace esper::oona
