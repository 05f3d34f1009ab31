#include "nissa/store/series_key.h"

#include <algorithm>

#include <xxhash.h>

namespace esper::nissa {

SeriesKey SeriesKey::from(std::string source, std::string name,
                          const google::protobuf::Map<std::string, std::string>& attributes) {
  SeriesKey key{std::move(source), std::move(name), {}};
  key.attributes.reserve(attributes.size());
  for (const auto& [k, v] : attributes) key.attributes.emplace_back(k, v);
  std::sort(key.attributes.begin(), key.attributes.end());
  return key;
}

std::string SeriesKey::to_string() const {
  std::string out = source + "/" + name;
  if (attributes.empty()) return out;
  out += "{";
  for (std::size_t i = 0; i < attributes.size(); ++i) {
    if (i > 0) out += ",";
    out += attributes[i].first + "=" + attributes[i].second;
  }
  return out + "}";
}

namespace {

// Each field is hashed with the previous hash as seed, so field boundaries matter: ("ab","c") and
// ("a","bc") hash differently. Owning keys and views must hash identically, so both go through
// this one class.
class KeyHasher {
 public:
  void feed(std::string_view s) { hash_ = XXH3_64bits_withSeed(s.data(), s.size(), hash_ + s.size()); }
  std::size_t digest() const { return static_cast<std::size_t>(hash_); }

 private:
  XXH64_hash_t hash_ = 0;
};
}  // namespace

void SeriesKeyView::from(std::string_view source, std::string_view name,
                         const google::protobuf::Map<std::string, std::string>& attributes,
                         SeriesKeyView& view) {
  view.source = source;
  view.name = name;
  view.attributes.clear();
  for (const auto& [k, v] : attributes) view.attributes.emplace_back(&k, &v);
  std::sort(view.attributes.begin(), view.attributes.end(),
            [](const auto& a, const auto& b) { return *a.first < *b.first; });
}

SeriesKey SeriesKeyView::to_key() const {
  SeriesKey key{std::string(source), std::string(name), {}};
  key.attributes.reserve(attributes.size());
  for (const auto& [k, v] : attributes) key.attributes.emplace_back(*k, *v);
  return key;
}

std::size_t SeriesKeyHash::operator()(const SeriesKey& key) const {
  KeyHasher h;
  h.feed(key.source);
  h.feed(key.name);
  for (const auto& [k, v] : key.attributes) {
    h.feed(k);
    h.feed(v);
  }
  return h.digest();
}

std::size_t SeriesKeyHash::operator()(const SeriesKeyView& key) const {
  KeyHasher h;
  h.feed(key.source);
  h.feed(key.name);
  for (const auto& [k, v] : key.attributes) {
    h.feed(*k);
    h.feed(*v);
  }
  return h.digest();
}

bool SeriesKeyEqual::operator()(const SeriesKeyView& a, const SeriesKey& b) const {
  if (a.source != b.source || a.name != b.name || a.attributes.size() != b.attributes.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.attributes.size(); ++i) {
    if (*a.attributes[i].first != b.attributes[i].first ||
        *a.attributes[i].second != b.attributes[i].second) {
      return false;
    }
  }
  return true;
}

}  // namespace esper::nissa
