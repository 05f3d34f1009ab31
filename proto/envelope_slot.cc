#include "proto/envelope_slot.h"

#include <climits>

#include <google/protobuf/io/coded_stream.h>

#include "proto/envelope_header.h"

namespace esper::proto {

EnvelopeSlot::EnvelopeSlot(std::size_t reset_after_bytes)
    : envelope_(google::protobuf::Arena::CreateMessage<Envelope>(&arena_)), reset_after_bytes_(reset_after_bytes) {}

bool EnvelopeSlot::parse(std::string_view payload) {
  if (payload.size() > static_cast<std::size_t>(INT_MAX)) return false;
  parsed_bytes_ += payload.size();
  if (parsed_bytes_ > reset_after_bytes_) {
    arena_.Reset();  // Frees what cleared map entries and bodies left behind, and the spare.
    envelope_ = google::protobuf::Arena::CreateMessage<Envelope>(&arena_);
    spare_ = nullptr;
    parsed_bytes_ = payload.size();
  } else {
    // Clear() would drop the packet with the oneof; take it out first.
    if (envelope_->has_telemetry()) spare_ = envelope_->unsafe_arena_release_telemetry();
    envelope_->Clear();
  }
  EnvelopeHeader header;
  if (spare_ != nullptr && read_envelope_header(payload, header) && header.body == BodyKind::kTelemetry) {
    spare_->Clear();  // Keeps its points and their strings for the merge to parse over.
    envelope_->unsafe_arena_set_allocated_telemetry(spare_);
    spare_ = nullptr;
  }
  // A merge into a cleared message parses exactly what ParseFromArray parses.
  google::protobuf::io::CodedInputStream input(reinterpret_cast<const std::uint8_t*>(payload.data()),
                                               static_cast<int>(payload.size()));
  return envelope_->MergeFromCodedStream(&input) && input.ConsumedEntireMessage();
}

}  // namespace esper::proto
