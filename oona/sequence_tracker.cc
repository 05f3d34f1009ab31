#include "oona/sequence_tracker.h"

#include "proto/envelope_codec.h"

namespace esper::oona {

std::uint64_t SequenceTracker::gaps(const std::string& source) const {
  auto it = gaps_by_source_.find(source);
  return it == gaps_by_source_.end() ? 0 : it->second;
}

std::string stream_key(const proto::Envelope& envelope) {
  std::string key = envelope.source();
  key += '\0';
  key += envelope.instance();
  key += '\0';
  const auto kind = proto::body_kind(envelope);
  key += kind ? static_cast<char>('0' + static_cast<int>(proto::lane_for(*kind, envelope.severity()))) : '?';
  return key;
}

void SequenceTracker::observe(const proto::Envelope& envelope) {
  Stream& stream = streams_[stream_key(envelope)];
  const std::uint64_t seq = envelope.sequence();
  if (seq == stream.highest + 1) {
    stream.highest = seq;
    return;
  }
  if (seq > stream.highest) {
    const std::uint64_t skipped = seq - stream.highest - 1;
    gaps_ += skipped;
    gaps_by_source_[envelope.source()] += skipped;
    for (std::uint64_t s = seq - 1; s > stream.highest && stream.missing.size() < kMaxTrackedMissing; --s) {
      stream.missing.insert(s);
    }
    stream.highest = seq;
    return;
  }
  if (stream.missing.erase(seq) == 1) {  // Late, e.g. overtaken by a demoted envelope.
    --gaps_;
    --gaps_by_source_[envelope.source()];
    ++late_;
    return;
  }
  if (seq == 1) {  // The producer restarted.
    ++restarts_;
    stream = Stream{};
    stream.highest = 1;
    return;
  }
  ++duplicates_;
}

}  // namespace esper::oona
