// Schema contracts: what a producer promised to send, checked on every telemetry packet Nissa
// receives. A contract applies to the packets of one source (and, when `category` is set, to the
// points of that packet whose `category` attribute equals it, as the RL trainer's TRAINER / ACTOR /
// EVALUATOR categories); a packet with no such point is not checked. Within the selected points:
//
//   required     every listed key is present: a point of that name
//   step_fields  a step is present: a point whose `step` field is set, or a point named, or carrying
//                an attribute named, one of these fields (default: timesteps, policy_version, step,
//                global_step, update); `require_step: false` turns the check off
//
// Every violation is counted by (contract, reason, key) and becomes a WARNING event
// "schema_violation" (attributes: contract, source, category, reason = missing_key | missing_step,
// key); nothing is dropped silently. The packet itself is still aggregated.
//
//   schema_contracts:
//     - name: ppo_evaluator
//       source: rl-trainer
//       category: EVALUATOR
//       required: [mean_return, episodes]
//       step_fields: [policy_version, update]
#ifndef ESPER_NISSA_ANALYTICS_SCHEMA_CONTRACT_H_
#define ESPER_NISSA_ANALYTICS_SCHEMA_CONTRACT_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "config/config_section.h"
#include "esper/telemetry.pb.h"

namespace esper::nissa {

struct SchemaContract {
  std::string name;
  std::string source;
  std::optional<std::string> category;
  std::vector<std::string> required;
  bool require_step = true;
  std::vector<std::string> step_fields{"timesteps", "policy_version", "step", "global_step", "update"};
};

// Reads the `schema_contracts:` list. Throws config::ConfigError naming file, key and line.
std::vector<SchemaContract> read_schema_contracts(config::Section& root);

struct SchemaViolation {
  std::string contract;
  std::string source;
  std::string category;  // Empty when the contract has none.
  std::string reason;    // "missing_key" or "missing_step".
  std::string key;       // The missing key ("" for missing_step).
};

// The WARNING event reported for `violation`.
proto::TelemetryEvent violation_event(const SchemaViolation& violation, std::uint64_t time_unix_ns);

class SchemaContractChecker {
 public:
  explicit SchemaContractChecker(std::vector<SchemaContract> contracts = {}) { reconfigure(std::move(contracts)); }

  void reconfigure(std::vector<SchemaContract> contracts);  // Counters survive.

  // Checks one telemetry packet from `source`; appends violations and counts them.
  std::size_t check(const std::string& source, const proto::TelemetryPacket& packet,
                    std::vector<SchemaViolation>& violations);

  // Violations since start by (contract, source, reason, key).
  using Key = std::tuple<std::string, std::string, std::string, std::string>;
  const std::map<Key, std::uint64_t>& violations_total() const { return counts_; }
  std::uint64_t total() const { return total_; }
  std::size_t size() const { return contracts_.size(); }

 private:
  std::vector<SchemaContract> contracts_;
  std::map<Key, std::uint64_t> counts_;
  std::uint64_t total_ = 0;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_ANALYTICS_SCHEMA_CONTRACT_H_
