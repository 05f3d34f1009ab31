// Gap counting on the receiving side. Producers stamp a sequence number per (source, instance,
// stream) starting at 1; the stream is the lane the producer sent on (proto::Lane: normal, reliable
// or emergency), because each overtakes another by design (emergency travels its own sockets;
// Oona serves reliable items before a normal backlog) and one counter across them would look like
// loss every time it did. A demoted emergency envelope still belongs to the emergency stream (Oona
// moves it to the normal sockets, the producer did not).
//
// A number above the next expected one records the numbers skipped as missing (a gap); a missing
// number that arrives later (a late envelope, e.g. one overtaken by a demoted one) is taken back
// out. gaps() is therefore "envelopes not (yet) seen". A 1 that is not such a missing number is a
// producer restart, not a gap.
#ifndef ESPER_OONA_SEQUENCE_TRACKER_H_
#define ESPER_OONA_SEQUENCE_TRACKER_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>

#include "esper/envelope.pb.h"

namespace esper::oona {

// The stream an envelope belongs to, as a map key: source, instance and the lane the producer sent
// it on (a demoted emergency stays in the emergency stream).
std::string stream_key(const proto::Envelope& envelope);

class SequenceTracker {
 public:
  // Remembers at most this many missing numbers per stream to recognise late arrivals; beyond it
  // a gap is still counted, and a late arrival for it is counted as a duplicate.
  static constexpr std::size_t kMaxTrackedMissing = 4096;

  void observe(const proto::Envelope& envelope);

  std::uint64_t gaps() const { return gaps_; }
  std::uint64_t gaps(const std::string& source) const;  // Of one source.
  std::uint64_t late() const { return late_; }
  std::uint64_t duplicates() const { return duplicates_; }
  std::uint64_t restarts() const { return restarts_; }

 private:
  struct Stream {
    std::uint64_t highest = 0;
    std::set<std::uint64_t> missing;
  };
  std::map<std::string, Stream> streams_;
  std::map<std::string, std::uint64_t> gaps_by_source_;
  std::uint64_t gaps_ = 0;
  std::uint64_t late_ = 0;
  std::uint64_t duplicates_ = 0;
  std::uint64_t restarts_ = 0;
};

}  // namespace esper::oona

#endif  // ESPER_OONA_SEQUENCE_TRACKER_H_
