// The metric categories of docs/reference/rl-trainer.md and the key prefix each gives a metric
// (TRAINER/TRAIN -> trainer/, ACTOR/ACT -> actor/, EVALUATOR/EVAL -> evaluator/, anything else ->
// misc/): the RL trainer names its points with them, and Nissa's MLflow exporter keys metrics by
// them. One rule for both, so a key means the same thing wherever it is read.
#ifndef ESPER_PROTO_METRIC_CATEGORY_H_
#define ESPER_PROTO_METRIC_CATEGORY_H_

#include <algorithm>
#include <array>
#include <cctype>
#include <string_view>

namespace esper::proto {

inline constexpr std::array<std::string_view, 4> kCategoryPrefixes{"trainer/", "actor/", "evaluator/", "misc/"};

// "trainer/", "actor/", "evaluator/" or "misc/"; case-insensitive.
inline std::string_view category_prefix(std::string_view category) {
  auto is = [&](std::string_view name) {
    return category.size() == name.size() &&
           std::equal(category.begin(), category.end(), name.begin(),
                      [](char a, char b) { return std::toupper(static_cast<unsigned char>(a)) == b; });
  };
  if (is("TRAINER") || is("TRAIN")) return kCategoryPrefixes[0];
  if (is("ACTOR") || is("ACT")) return kCategoryPrefixes[1];
  if (is("EVALUATOR") || is("EVAL")) return kCategoryPrefixes[2];
  return kCategoryPrefixes[3];
}

// Whether `name` already starts with one of the prefixes.
inline bool has_category_prefix(std::string_view name) {
  return std::any_of(kCategoryPrefixes.begin(), kCategoryPrefixes.end(),
                     [&](std::string_view p) { return name.starts_with(p); });
}

}  // namespace esper::proto

#endif  // ESPER_PROTO_METRIC_CATEGORY_H_
