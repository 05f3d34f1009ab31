#include "oona/ingress_reader.h"

#include <string_view>

#include <spdlog/spdlog.h>

namespace esper::oona {

QueuedMessage IngressEnvelope::to_queued() {
  const wire::Topic& topic = decoded.topic();
  return QueuedMessage{std::move(frames[0]), std::move(frames[1]), topic.severity,
                       topic.lane != wire::Lane::kReliable, topic.source};
}

IngressReader::Result IngressReader::read(zmq::socket_t& socket,
                                          std::map<std::string, std::uint64_t>& rejected,
                                          IngressEnvelope& out) {
  out.frames.clear();
  out.frames.emplace_back();
  if (!socket.recv(out.frames[0], zmq::recv_flags::dontwait)) return Result::kEmpty;
  while (out.frames.back().more()) {
    out.frames.emplace_back();
    (void)socket.recv(out.frames.back(), zmq::recv_flags::none);  // Parts arrive together.
  }
  std::vector<std::string_view> views;
  views.reserve(out.frames.size());
  for (const auto& f : out.frames) views.emplace_back(f.data<char>(), f.size());
  const auto reject = [&](std::string_view reason, const std::string& detail) {
    ++rejected[std::string(reason)];
    log_.log(spdlog::level::warn, reason, "rejected envelope: " + std::string(reason) + ": " + detail);
    return Result::kRejected;
  };
  out.decoded = wire::decode(views, limits_);
  if (!out.decoded.ok()) return reject(wire::decode_error_name(out.decoded.error()), out.decoded.detail());
  if (signer_) {
    const auto verdict = signer_->verify(views[0], out.decoded.envelope());
    if (verdict != EnvelopeSigner::Verdict::kOk) {
      return reject(verdict_name(verdict), "topic '" + std::string(views[0]) + "' from source '" +
                                               out.decoded.envelope().source() + "'");
    }
  }
  return Result::kAccepted;
}

}  // namespace esper::oona
