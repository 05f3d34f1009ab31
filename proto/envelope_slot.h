// One Envelope reused across decodes, for a hot ingest loop. A telemetry packet parsed into a fresh
// message builds every MetricPoint and its strings and then destroys them: that was about 40 % of
// Nissa's CPU at 2M points/s. Parsed into the slot instead, a packet lands in the packet the slot
// held last, whose points and strings protobuf clears but keeps: once the slot has seen a packet
// as large, a metric point costs no construction, and its name and unit no allocation.
//
// The slot's messages live on an arena, so what a parse does allocate (attribute map entries,
// points beyond the last packet's) is a bump of a pointer, not a malloc and a free. Cleared map
// entries stay on the arena until it is reset, which it is once kResetAfterBytes of payload have
// been parsed: the arena holds at most what protobuf builds from that much payload plus one
// envelope (for ordinary packets a few times the bytes; for a flood of tiny map entries, tens).
//
// What the slot holds is valid until its next parse.
#ifndef ESPER_PROTO_ENVELOPE_SLOT_H_
#define ESPER_PROTO_ENVELOPE_SLOT_H_

#include <cstddef>
#include <string_view>

#include <google/protobuf/arena.h>

#include "esper/envelope.pb.h"

namespace esper::proto {

class EnvelopeSlot {
 public:
  static constexpr std::size_t kResetAfterBytes = 4 << 20;

  // `reset_after_bytes`: how much payload between arena resets (tests and the fuzzer use less, to
  // reset often).
  explicit EnvelopeSlot(std::size_t reset_after_bytes = kResetAfterBytes);
  EnvelopeSlot(const EnvelopeSlot&) = delete;
  EnvelopeSlot& operator=(const EnvelopeSlot&) = delete;

  // Parses `payload` as protobuf's ParseFromArray would (true iff it would succeed, with the same
  // message), over the storage of the last envelope. The spare packet is put in place to parse into
  // only when the payload's header (read off the wire) says its body is a telemetry packet, so an
  // envelope without a body never seems to have one.
  bool parse(std::string_view payload);

  Envelope& envelope() { return *envelope_; }

 private:
  google::protobuf::Arena arena_;
  Envelope* envelope_;                // On arena_.
  TelemetryPacket* spare_ = nullptr;  // On arena_: the last packet, kept to parse the next one into.
  const std::size_t reset_after_bytes_;
  std::size_t parsed_bytes_ = 0;      // Payload parsed since arena_ was last reset.
};

}  // namespace esper::proto

#endif  // ESPER_PROTO_ENVELOPE_SLOT_H_
