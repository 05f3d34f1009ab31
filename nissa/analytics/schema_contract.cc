#include "nissa/analytics/schema_contract.h"

#include <algorithm>
#include <set>

#include "nissa/store/journal_records.h"

namespace esper::nissa {

std::vector<SchemaContract> read_schema_contracts(config::Section& root) {
  std::vector<SchemaContract> out;
  std::set<std::string> names;
  for (auto& s : root.sections("schema_contracts")) {
    SchemaContract c;
    c.name = s.required<std::string>("name");
    if (c.name.empty()) throw s.error("name", "must not be empty");
    if (!names.insert(c.name).second) throw s.error("name", "duplicate contract name '" + c.name + "'");
    c.source = s.required<std::string>("source");
    if (c.source.empty()) throw s.error("source", "must not be empty");
    c.category = s.optional<std::string>("category");
    c.required = s.get("required", c.required);
    c.require_step = s.get("require_step", c.require_step);
    c.step_fields = s.get("step_fields", c.step_fields);
    if (c.require_step && c.step_fields.empty()) {
      throw s.error("step_fields", "must list at least one field (or set require_step: false)");
    }
    if (c.required.empty() && !c.require_step) throw s.error("required", "a contract must require something");
    s.finish();
    out.push_back(std::move(c));
  }
  return out;
}

proto::TelemetryEvent violation_event(const SchemaViolation& v, std::uint64_t time_unix_ns) {
  proto::TelemetryEvent e;
  e.set_description(std::string(kSchemaViolationEvent));
  e.set_level(proto::SEVERITY_WARNING);
  e.set_timestamp_unix_ns(time_unix_ns);
  auto& a = *e.mutable_attributes();
  a["contract"] = v.contract;
  a["source"] = v.source;
  a["category"] = v.category;
  a["reason"] = v.reason;
  a["key"] = v.key;
  return e;
}

void SchemaContractChecker::reconfigure(std::vector<SchemaContract> contracts) {
  contracts_ = std::move(contracts);
}

std::size_t SchemaContractChecker::check(const std::string& source, const proto::TelemetryPacket& packet,
                                         std::vector<SchemaViolation>& violations) {
  std::size_t found = 0;
  for (const SchemaContract& c : contracts_) {
    if (c.source != source) continue;
    bool any = false;
    bool step = false;
    std::set<std::string_view> names;
    for (const auto& p : packet.metrics()) {
      if (c.category) {
        auto it = p.attributes().find("category");
        if (it == p.attributes().end() || it->second != *c.category) continue;
      }
      any = true;
      names.insert(p.name());
      if (p.has_step()) step = true;
      for (const auto& f : c.step_fields) {
        if (p.name() == f || p.attributes().contains(f)) step = true;
      }
    }
    if (!any) continue;
    auto report = [&](std::string reason, std::string key) {
      SchemaViolation v{c.name, source, c.category.value_or(""), std::move(reason), std::move(key)};
      ++counts_[{v.contract, v.source, v.reason, v.key}];
      ++total_;
      ++found;
      violations.push_back(std::move(v));
    };
    for (const auto& key : c.required) {
      if (!names.contains(key)) report("missing_key", key);
    }
    if (c.require_step && !step) report("missing_step", "");
  }
  return found;
}

}  // namespace esper::nissa
