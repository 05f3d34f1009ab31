#include "oona/ingress_reader.h"

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string_view>

#include <spdlog/spdlog.h>

namespace esper::oona {
namespace {

// How much of an envelope receive() asks the cache for: a small envelope whole, a large one's head.
constexpr std::size_t kPrefetchBytes = 1024;

}  // namespace

QueuedMessage IngressEnvelope::to_queued() {
  return QueuedMessage{std::move(frames[0]), std::move(frames[1]), topic.severity,
                       topic.lane != proto::Lane::kReliable, topic.source};
}

IngressReader::Result IngressReader::read(zmq::socket_t& socket,
                                          std::map<std::string, std::uint64_t>& rejected,
                                          IngressEnvelope& out) {
  return receive(socket, out) ? check(rejected, out) : Result::kEmpty;
}

bool IngressReader::receive(zmq::socket_t& socket, IngressEnvelope& out) {
  if (!receive_frames(socket, out.frames)) return false;
  // The I/O thread wrote the envelope on another core: a miss on each line the header and the
  // batch copy touch. Asked for now, they arrive while the previous envelope is routed.
  const zmq::message_t& envelope = out.frames.back();
  const char* bytes = envelope.data<char>();
  const std::size_t lines = std::min<std::size_t>(envelope.size(), kPrefetchBytes);
  for (std::size_t offset = 0; offset < lines; offset += 64) __builtin_prefetch(bytes + offset);
  return true;
}

IngressReader::Result IngressReader::check(std::map<std::string, std::uint64_t>& rejected, IngressEnvelope& out) {
  std::optional<RejectReason> reject;
  std::string detail;
  if (signer_ != nullptr) {
    // The MAC covers the parsed envelope re-serialized: verifying it takes the whole decode.
    const auto views = frame_views(out.frames);
    ReadEnvelope read = decode_and_verify(views, limits_, signer_, nullptr, replay_);
    if (read.ok()) {
      out.topic = read.decoded.topic();
    } else {
      reject = read.reject;
      detail = std::move(read.detail);
    }
  } else {
    // Two frames, as nearly always: their views on the stack. Otherwise the reject's path.
    std::array<std::string_view, 2> pair;
    std::vector<std::string_view> other;
    std::span<const std::string_view> views;
    if (out.frames.size() == 2) {
      pair = {std::string_view(out.frames[0].data<char>(), out.frames[0].size()),
              std::string_view(out.frames[1].data<char>(), out.frames[1].size())};
      views = pair;
    } else {
      other = frame_views(out.frames);
      views = other;
    }
    proto::decode_header(views, limits_, header_);
    if (header_.ok()) {
      out.topic.lane = header_.topic.lane;
      out.topic.kind = header_.topic.kind;
      out.topic.severity = header_.topic.severity;
      out.topic.source.assign(header_.topic.source);
    } else {
      reject = reject_reason(*header_.error);
      detail = header_.detail;
    }
  }
  if (!reject && bindings_ != nullptr && !bindings_->empty()) {
    const char* user_id = zmq_msg_gets(out.frames[1].handle(), "User-Id");
    if (!source_allowed(*bindings_, user_id, out.topic.source)) {
      reject = RejectReason::kSourceNotAllowed;
      detail = "source '" + out.topic.source + "' from client key " + user_id;
    }
  }
  if (reject) {
    const std::string_view reason = reject_reason_name(*reject);
    ++rejected[std::string(reason)];
    log_.log(spdlog::level::warn, reason, "rejected envelope: " + std::string(reason) + ": " + detail);
    return Result::kRejected;
  }
  return Result::kAccepted;
}

}  // namespace esper::oona
