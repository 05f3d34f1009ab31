#include "oona/ingress_reader.h"

#include <string_view>

#include <spdlog/spdlog.h>

namespace esper::oona {

QueuedMessage IngressEnvelope::to_queued() {
  const proto::Topic& topic = decoded.topic();
  return QueuedMessage{std::move(frames[0]), std::move(frames[1]), topic.severity,
                       topic.lane != proto::Lane::kReliable, topic.source};
}

IngressReader::Result IngressReader::read(zmq::socket_t& socket,
                                          std::map<std::string, std::uint64_t>& rejected,
                                          IngressEnvelope& out) {
  if (!receive_frames(socket, out.frames)) return Result::kEmpty;
  const auto views = frame_views(out.frames);
  ReadEnvelope read = decode_and_verify(views, limits_, signer_, nullptr, replay_);
  if (read.ok() && bindings_ != nullptr && !bindings_->empty()) {
    const char* user_id = zmq_msg_gets(out.frames[1].handle(), "User-Id");
    if (!source_allowed(*bindings_, user_id, read.decoded.envelope().source())) {
      read.reject = RejectReason::kSourceNotAllowed;
      read.detail = "source '" + read.decoded.envelope().source() + "' from client key " + user_id;
    }
  }
  if (!read.ok()) {
    const std::string_view reason = reject_reason_name(*read.reject);
    ++rejected[std::string(reason)];
    log_.log(spdlog::level::warn, reason, "rejected envelope: " + std::string(reason) + ": " + read.detail);
    return Result::kRejected;
  }
  out.decoded = std::move(read.decoded);
  return Result::kAccepted;
}

}  // namespace esper::oona
