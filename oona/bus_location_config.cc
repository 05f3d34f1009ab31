#include "oona/bus_location_config.h"

#include <sstream>
#include <stdexcept>
#include <string>

#include "oona/envelope_signer.h"
#include "oona/key_file.h"

namespace esper::oona {

std::string read_curve_key_file(const std::filesystem::path& path, bool allow_insecure_permissions) {
  std::istringstream in(read_secret_key_file(path, allow_insecure_permissions));
  std::string key;
  if (!(in >> key)) throw std::invalid_argument("key file " + path.string() + " is empty");
  return key;
}

BusLocation read_bus_location(config::Section& root,
                              const std::optional<std::filesystem::path>& runtime_dir_override) {
  BusLocation location;
  // First: every key file below is read under it.
  location.allow_insecure_key_permissions =
      root.get("allow_insecure_key_permissions", location.allow_insecure_key_permissions);
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
  if (auto curve = root.optional_section("client_curve")) {
    auto& keys = location.curve;
    keys.server_public_key = curve->required<std::string>("server_public_key");
    if (keys.server_public_key.size() != 40) {
      throw curve->error("server_public_key", "must be 40 characters of Z85");
    }
    const auto inline_key = curve->optional<std::string>("secret_key");
    const auto key_file = curve->optional<std::string>("secret_key_file");
    const char* key_name = key_file ? "secret_key_file" : "secret_key";
    if (inline_key.has_value() == key_file.has_value()) {
      throw curve->error(key_name, "give exactly one of secret_key and secret_key_file");
    }
    try {
      keys.client_secret_key = key_file ? read_curve_key_file(*key_file, location.allow_insecure_key_permissions)
                                        : *inline_key;
      keys.client_public_key = curve_public_key(keys.client_secret_key);
    } catch (const std::exception& error) {
      throw curve->error(key_name, error.what());
    }
    curve->finish();
  }
  if (auto signing = root.optional_section("signing")) {
    const auto key_file = signing->optional<std::string>("key_file");
    const auto key_hex = signing->optional<std::string>("key_hex");
    const char* key_name = key_file ? "key_file" : "key_hex";
    if (key_file.has_value() == key_hex.has_value()) {
      throw signing->error(key_file ? "key_hex" : "key_file", "give exactly one of key_file and key_hex");
    }
    try {
      location.signing_key = key_file ? read_key_file(*key_file, location.allow_insecure_key_permissions)
                                      : parse_hex_key(*key_hex);
    } catch (const std::invalid_argument& error) {
      throw signing->error(key_name, error.what());
    }
    signing->finish();
  }
  if (auto scheduling = root.optional_section("emergency_scheduling")) {
    auto& s = location.emergency_scheduling;
    s.realtime_priority = scheduling->get("realtime_priority", s.realtime_priority);
    if (s.realtime_priority < 0 || s.realtime_priority > 99) {
      throw scheduling->error("realtime_priority", "must be 0 (none) or a SCHED_FIFO priority 1..99");
    }
    const std::string cpu = scheduling->get<std::string>("cpu", "auto");
    if (cpu == "auto") {
      s.cpu = EmergencySchedulingConfig::kAutoCpu;
    } else if (cpu == "none") {
      s.cpu = EmergencySchedulingConfig::kNoCpu;
    } else {
      s.cpu = -1;
      std::size_t used = 0;
      try {
        s.cpu = std::stoi(cpu, &used);
      } catch (const std::exception&) {
      }
      if (s.cpu < 0 || used != cpu.size()) {
        throw scheduling->error("cpu", "must be auto, none or a CPU number, not '" + cpu + "'");
      }
    }
    scheduling->finish();
  }
  return location;
}

}  // namespace esper::oona
