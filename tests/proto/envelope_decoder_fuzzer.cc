// libFuzzer target for the envelope decoder: arbitrary bytes as one received bus message. The
// first byte chooses how many frames; the rest is split on the first '\n' into topic and envelope.
// The decoder must never crash, hang or leak, and whatever it accepts must re-encode. Oona's
// header-only decoder (proto/envelope_header.h) must agree with it: accept whatever it accepts, with
// the same route, and refuse for the same reason, except where the codec finds a body it cannot parse.
// Decoding into one EnvelopeSlot kept across inputs (as Nissa's loop keeps it across messages) must
// give exactly what a fresh decode gives, whatever the slot held before.
#include <google/protobuf/util/message_differencer.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "proto/envelope_codec.h"
#include "proto/envelope_header.h"
#include "proto/envelope_slot.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t frame_count = data[0] % 4;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::size_t nl = rest.find('\n');
  const std::string_view topic = rest.substr(0, nl);
  const std::string_view payload = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
  std::vector<std::string_view> frames = {topic, payload, payload};
  frames.resize(frame_count);

  const esper::proto::DecodeLimits limits{.max_envelope_bytes = 64 * 1024};
  const esper::proto::Decoded decoded = esper::proto::decode(frames, limits);
  esper::proto::DecodedHeader header;
  esper::proto::decode_header(frames, limits, header);
  if (decoded.ok()) {
    const auto wire = esper::proto::encode(decoded.envelope());  // Must not throw.
    if (wire.topic != topic) __builtin_trap();
    if (!header.ok() || header.topic != decoded.topic()) __builtin_trap();
  } else if (decoded.error() == esper::proto::DecodeError::kUnparseable) {
    // A body only the codec parses: the header decoder accepts, or refuses for a later reason.
    if (!header.ok() && *header.error < esper::proto::DecodeError::kUnparseable) __builtin_trap();
  } else if (header.ok() || *header.error != decoded.error()) {
    __builtin_trap();
  }

  static esper::proto::EnvelopeSlot slot(4096);  // Resets its arena every few inputs.
  const esper::proto::Decoded reused = esper::proto::decode(frames, limits, &slot);
  if (reused.ok() != decoded.ok()) __builtin_trap();
  if (!decoded.ok()) {
    if (reused.error() != decoded.error()) __builtin_trap();
  } else if (&reused.envelope() != &slot.envelope() || reused.topic() != decoded.topic() ||
             !google::protobuf::util::MessageDifferencer::Equals(reused.envelope(), decoded.envelope())) {
    __builtin_trap();
  }
  return 0;
}
