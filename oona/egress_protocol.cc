#include "oona/egress_protocol.h"

#include <charconv>

#include "oona/egress_batch.h"
#include "proto/envelope_codec.h"

namespace esper::oona::egress {
namespace {

template <typename Int>
std::optional<Int> parse_number(std::string_view text) {
  Int value{};
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

bool printable(std::string_view text) {
  for (const char c : text) {
    if (c <= ' ' || c > '~') return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> hello_frames(const Hello& hello) {
  const bool batching = hello.batch_bytes > 0;
  std::vector<std::string> frames{std::string(batching ? kBatchingHelloMarker : kHelloMarker), hello.name,
                                  std::to_string(hello.credit_window), std::to_string(hello.consumed)};
  if (batching) frames.push_back(std::to_string(hello.batch_bytes));
  frames.insert(frames.end(), hello.prefixes.begin(), hello.prefixes.end());
  return frames;
}

std::optional<Hello> parse_hello(std::span<const std::string_view> frames) {
  if (frames.empty()) return std::nullopt;
  const bool batching = frames[0] == kBatchingHelloMarker;
  if (!batching && frames[0] != kHelloMarker) return std::nullopt;
  const std::size_t fixed = batching ? 5 : 4;
  if (frames.size() < fixed || frames.size() > fixed + kMaxPrefixes) return std::nullopt;
  Hello hello;
  if (frames[1].empty() || frames[1].size() > kMaxNameBytes || !printable(frames[1])) return std::nullopt;
  hello.name = frames[1];
  const auto window = parse_number<std::uint32_t>(frames[2]);
  const auto consumed = parse_number<std::uint64_t>(frames[3]);
  if (!window || *window == 0 || *window > kMaxCreditWindow || !consumed) return std::nullopt;
  hello.credit_window = *window;
  hello.consumed = *consumed;
  if (batching) {
    const auto batch_bytes = parse_number<std::uint32_t>(frames[4]);
    if (!batch_bytes) return std::nullopt;
    hello.batch_bytes = *batch_bytes;
  }
  for (std::size_t i = fixed; i < frames.size(); ++i) {
    if (frames[i].size() > proto::kMaxTopicBytes || !printable(frames[i])) return std::nullopt;
    hello.prefixes.emplace_back(frames[i]);
  }
  return hello;
}

std::vector<std::string> dropped_frames(std::uint64_t count) {
  return {std::string(), std::string(kDroppedKind), std::to_string(count)};
}

std::optional<std::uint64_t> parse_dropped(std::span<const std::string_view> frames) {
  if (frames.size() != 3 || !frames[0].empty() || frames[1] != kDroppedKind) return std::nullopt;
  return parse_number<std::uint64_t>(frames[2]);
}

std::optional<BatchFrames> parse_batch(std::span<const std::string_view> frames) {
  if (frames.size() != 4 || !frames[0].empty() || frames[1] != kBatchKind) return std::nullopt;
  const auto count = parse_number<std::uint64_t>(frames[2]);
  if (!count) return std::nullopt;
  return BatchFrames{.count = *count, .records = frames[3]};
}

bool matches(const std::vector<std::string>& prefixes, std::string_view topic) {
  for (const auto& prefix : prefixes) {
    if (topic.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

}  // namespace esper::oona::egress
