// Counters keyed by a name a client gives itself (an envelope's source): every producer may name
// itself, so a flood of invented names must not grow Oona's memory (and its telemetry packet) for
// ever. At most kMaxKeys distinct keys are kept; past that, a new key is counted under its "other"
// form (the source replaced by "other"), so the totals stay exact and the memory bounded.
#ifndef ESPER_OONA_CAPPED_COUNTS_H_
#define ESPER_OONA_CAPPED_COUNTS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

namespace esper::oona {

inline constexpr const char* kOtherSource = "other";

// The key with its source replaced by "other": a source name alone, or (lane, source, reason).
inline std::string overflow_key(const std::string&) { return kOtherSource; }
inline std::tuple<std::string, std::string, std::string> overflow_key(
    const std::tuple<std::string, std::string, std::string>& key) {
  return {std::get<0>(key), kOtherSource, std::get<2>(key)};
}

template <typename Key>
class CappedCounts {
 public:
  static constexpr std::size_t kMaxKeys = 1000;

  // The counter of `key`, or of its "other" form once kMaxKeys keys are taken.
  std::uint64_t& operator[](const Key& key) {
    if (auto it = counts_.find(key); it != counts_.end()) return it->second;
    if (counts_.size() >= kMaxKeys) return counts_[overflow_key(key)];
    return counts_[key];
  }

  auto begin() const { return counts_.begin(); }
  auto end() const { return counts_.end(); }
  std::size_t size() const { return counts_.size(); }
  bool empty() const { return counts_.empty(); }
  // 0 for a key never counted (not folded into "other").
  std::uint64_t at_or_zero(const Key& key) const {
    auto it = counts_.find(key);
    return it == counts_.end() ? 0 : it->second;
  }

 private:
  std::map<Key, std::uint64_t> counts_;
};

}  // namespace esper::oona

#endif  // ESPER_OONA_CAPPED_COUNTS_H_
