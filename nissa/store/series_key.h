// The identity of a series: source, metric name and attributes sorted by key. Two points belong to
// the same series exactly when these are equal, whatever order their attributes arrived in.
#ifndef ESPER_NISSA_STORE_SERIES_KEY_H_
#define ESPER_NISSA_STORE_SERIES_KEY_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <google/protobuf/map.h>

namespace esper::nissa {

struct SeriesKey {
  std::string source;
  std::string name;
  std::vector<std::pair<std::string, std::string>> attributes;  // Sorted by key.

  static SeriesKey from(std::string source, std::string name,
                        const google::protobuf::Map<std::string, std::string>& attributes);

  bool operator==(const SeriesKey&) const = default;
  // "tolaria/loss{seed_id=s1}", for logs and the query API.
  std::string to_string() const;
};

// The same identity without owning its strings, so the ingest path can find an existing series
// without allocating. Attributes point into the MetricPoint being ingested.
struct SeriesKeyView {
  std::string_view source;
  std::string_view name;
  std::vector<std::pair<const std::string*, const std::string*>> attributes;  // Sorted by key.

  // Fills `view` for a point (reusing its vector's capacity).
  static void from(std::string_view source, std::string_view name,
                   const google::protobuf::Map<std::string, std::string>& attributes,
                   SeriesKeyView& view);
  SeriesKey to_key() const;
};

struct SeriesKeyHash {
  using is_transparent = void;
  std::size_t operator()(const SeriesKey& key) const;
  std::size_t operator()(const SeriesKeyView& key) const;
};

struct SeriesKeyEqual {
  using is_transparent = void;
  bool operator()(const SeriesKey& a, const SeriesKey& b) const { return a == b; }
  bool operator()(const SeriesKeyView& a, const SeriesKey& b) const;
  bool operator()(const SeriesKey& a, const SeriesKeyView& b) const { return (*this)(b, a); }
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_STORE_SERIES_KEY_H_
