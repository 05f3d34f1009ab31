#include "oona/envelope_reader.h"

namespace esper::oona {

RejectReason reject_reason(proto::DecodeError error) { return static_cast<RejectReason>(error); }

RejectReason reject_reason(EnvelopeSigner::Verdict verdict) {
  return verdict == EnvelopeSigner::Verdict::kUnsigned ? RejectReason::kUnsigned : RejectReason::kBadSignature;
}

std::string_view reject_reason_name(RejectReason reason) {
  switch (reason) {
    case RejectReason::kUnsigned: return verdict_name(EnvelopeSigner::Verdict::kUnsigned);
    case RejectReason::kBadSignature: return verdict_name(EnvelopeSigner::Verdict::kBadSignature);
    case RejectReason::kReplayed: return "replayed";
    case RejectReason::kSourceNotAllowed: return "source_not_allowed";
    default: return proto::decode_error_name(static_cast<proto::DecodeError>(reason));
  }
}

bool receive_frames(zmq::socket_t& socket, std::vector<zmq::message_t>& frames) {
  frames.clear();
  frames.emplace_back();
  if (!socket.recv(frames[0], zmq::recv_flags::dontwait)) return false;
  while (frames.back().more()) {
    frames.emplace_back();
    (void)socket.recv(frames.back(), zmq::recv_flags::none);  // Parts of a message arrive together.
  }
  return true;
}

std::vector<std::string_view> frame_views(const std::vector<zmq::message_t>& frames) {
  std::vector<std::string_view> views;
  views.reserve(frames.size());
  for (const auto& f : frames) views.emplace_back(f.data<char>(), f.size());
  return views;
}

ReadEnvelope decode_and_verify(std::span<const std::string_view> frames, const proto::DecodeLimits& limits,
                               const EnvelopeSigner* signer, proto::EnvelopeSlot* slot,
                               ReplayGuard* replay) {
  ReadEnvelope out{proto::decode(frames, limits, slot), std::nullopt, {}};
  if (!out.decoded.ok()) {
    out.reject = reject_reason(out.decoded.error());
    out.detail = out.decoded.detail();
    return out;
  }
  if (signer) {
    const auto verdict = signer->verify(frames[0], out.decoded.envelope());
    if (verdict != EnvelopeSigner::Verdict::kOk) {
      out.reject = reject_reason(verdict);
      out.detail = "topic '" + std::string(frames[0]) + "' from source '" + out.decoded.envelope().source() + "'";
      return out;
    }
    // Only a signed envelope can be told from a replay: an unsigned one could be forged anyway.
    if (replay && !replay->admit(out.decoded.envelope())) {
      const auto& e = out.decoded.envelope();
      out.reject = RejectReason::kReplayed;
      out.detail = "sequence " + std::to_string(e.sequence()) + " of source '" + e.source() + "' instance '" +
                   e.instance() + "' seen before";
    }
  }
  return out;
}

proto::WireMessage encode_signed(proto::Envelope& envelope, const EnvelopeSigner* signer) {
  envelope.clear_signature();
  if (signer) signer->sign(proto::format_topic(proto::topic_for(envelope)), envelope);
  return proto::encode(envelope);
}

}  // namespace esper::oona
