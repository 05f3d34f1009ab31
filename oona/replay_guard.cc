#include "oona/replay_guard.h"

#include <algorithm>

#include "oona/sequence_tracker.h"
#include "proto/envelope_codec.h"

namespace esper::oona {

bool ReplayGuard::test(const Stream& stream, std::uint64_t seq) {
  const std::uint64_t bit = seq % kWindow;
  return (stream.seen[bit / 64] >> (bit % 64)) & 1u;
}

void ReplayGuard::mark(Stream& stream, std::uint64_t seq) {
  const std::uint64_t bit = seq % kWindow;
  stream.seen[bit / 64] |= std::uint64_t{1} << (bit % 64);
}

void ReplayGuard::clear(Stream& stream, std::uint64_t seq) {
  const std::uint64_t bit = seq % kWindow;
  stream.seen[bit / 64] &= ~(std::uint64_t{1} << (bit % 64));
}

std::size_t ReplayGuard::streams() const {
  std::lock_guard lock(mu_);
  return streams_.size();
}

bool ReplayGuard::admit(const proto::Envelope& envelope) {
  // The producer's stream, as it numbered it: a demoted emergency is still an emergency.
  std::string key = stream_key(envelope);
  const std::uint64_t seq = envelope.sequence();
  const std::uint64_t sent = envelope.sent_unix_ns();

  std::lock_guard lock(mu_);
  auto it = streams_.find(key);
  if (it == streams_.end()) {
    if (streams_.size() >= max_streams_ && !lru_.empty()) {
      streams_.erase(lru_.front());
      lru_.pop_front();
    }
    it = streams_.emplace(key, Stream{}).first;
    lru_.push_back(key);
    it->second.lru = std::prev(lru_.end());
    it->second.highest = seq;
    it->second.newest_sent_unix_ns = sent;
    mark(it->second, seq);
    return true;
  }
  Stream& stream = it->second;
  lru_.splice(lru_.end(), lru_, stream.lru);  // Most recently used now.
  if (sent < stream.restarted_unix_ns) return false;  // From before the producer's restart.

  if (seq > stream.highest) {
    // The window slides up: the numbers it uncovers have not been seen.
    const std::uint64_t uncovered = std::min(seq - stream.highest, kWindow);
    for (std::uint64_t i = 0; i < uncovered; ++i) clear(stream, seq - i);
    stream.highest = seq;
    stream.newest_sent_unix_ns = std::max(stream.newest_sent_unix_ns, sent);
    mark(stream, seq);
    return true;
  }
  const bool seen = stream.highest - seq >= kWindow || test(stream, seq);
  if (!seen) {  // A late arrival within the window.
    mark(stream, seq);
    stream.newest_sent_unix_ns = std::max(stream.newest_sent_unix_ns, sent);
    return true;
  }
  if (sent > stream.newest_sent_unix_ns) {  // Sent after everything seen: the producer restarted.
    stream.seen.fill(0);
    stream.highest = seq;
    stream.newest_sent_unix_ns = sent;
    stream.restarted_unix_ns = sent;
    mark(stream, seq);
    return true;
  }
  return false;
}

}  // namespace esper::oona
