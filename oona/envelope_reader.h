// The one frame path every bus reader shares, Oona's ingress and the clients alike: receive all
// frames of a message, decode them through the codec under a size limit, verify the signature when
// a signing key is set, and refuse a replayed copy of a signed envelope (oona/replay_guard.h). What fails has one reason from one list (RejectReason), so the broker and a
// subscriber count and name rejects the same way. And encode_signed(), the one way an envelope is
// signed (when signing is on) and turned into its two frames, for publishers and for Oona's own
// envelopes and demotions.
#ifndef ESPER_OONA_ENVELOPE_READER_H_
#define ESPER_OONA_ENVELOPE_READER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <zmq.hpp>

#include "oona/envelope_signer.h"
#include "oona/replay_guard.h"
#include "proto/envelope_codec.h"

namespace esper::oona {

// Every reason a received message is not handed on: the codec's, then the signature's, then a
// replayed copy of a signed envelope.
enum class RejectReason : std::uint8_t {
  kWrongFrameCount,
  kOversize,
  kBadTopic,
  kUnparseable,
  kUnknownSchemaVersion,
  kMissingBody,
  kInvalidSource,
  kInvalidSeverity,
  kTopicMismatch,
  kUnsigned,
  kBadSignature,
  kReplayed,
  kSourceNotAllowed,  // Oona's ingress: the source is not bound to the sender's CURVE key.
};
inline constexpr std::size_t kRejectReasonCount = 13;
static_assert(proto::kDecodeErrorCount == 9, "RejectReason lists the codec's errors first, in order");

RejectReason reject_reason(proto::DecodeError error);
RejectReason reject_reason(EnvelopeSigner::Verdict verdict);  // kUnsigned or kBadSignature.
// The `reason` label of reject counters: "wrong_frame_count", ..., "unsigned", "bad_signature",
// "replayed", "source_not_allowed".
std::string_view reject_reason_name(RejectReason reason);

// Per-reason counts.
using RejectCounts = std::array<std::uint64_t, kRejectReasonCount>;

// Receives every frame of the next message on `socket` without waiting; false if none was there.
bool receive_frames(zmq::socket_t& socket, std::vector<zmq::message_t>& frames);
// Views of `frames`' bytes, valid while they live.
std::vector<std::string_view> frame_views(const std::vector<zmq::message_t>& frames);

struct ReadEnvelope {
  proto::Decoded decoded;
  std::optional<RejectReason> reject;  // Set when the message is refused.
  std::string detail;                  // What was wrong, for logs (empty when accepted).
  bool ok() const { return !reject.has_value(); }
};

// Decodes `frames` under `limits` (into `slot` when given) and, with a `signer`, verifies the
// signature and then, with a `replay` guard too, refuses what that guard has seen.
ReadEnvelope decode_and_verify(std::span<const std::string_view> frames, const proto::DecodeLimits& limits,
                               const EnvelopeSigner* signer, proto::EnvelopeSlot* slot = nullptr,
                               ReplayGuard* replay = nullptr);

// Signs `envelope` under its own topic when `signer` is set (after clearing any old signature) and
// encodes it into the bus's two frames.
proto::WireMessage encode_signed(proto::Envelope& envelope, const EnvelopeSigner* signer);

}  // namespace esper::oona

#endif  // ESPER_OONA_ENVELOPE_READER_H_
