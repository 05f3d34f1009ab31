#include "bench/pipeline/bench_payload.h"

#include <string>

namespace esper::pipeline_bench {
namespace {

void add_point(proto::TelemetryPacket& packet, int i) {
  auto* point = packet.add_metrics();
  point->set_name("bench.metric." + std::to_string(i));
  point->set_value(0.5 * i);
  point->set_unit("ms");
  point->set_kind(proto::METRIC_KIND_GAUGE);
  (*point->mutable_attributes())["seed"] = "s" + std::to_string(i % 8);
}

}  // namespace

proto::WireMessage bench_message(std::size_t bytes) {
  proto::Envelope envelope = proto::make_envelope("bench", "bench-sender", 1, proto::SEVERITY_INFO);
  envelope.mutable_telemetry()->set_source_subsystem("bench");
  envelope.mutable_telemetry()->set_timestamp_unix_ns(envelope.sent_unix_ns());
  // Points while one more still fits, then the packet id takes up the rest (its length prefix may
  // grow by a byte on the way, hence the loop).
  for (int i = 0;; ++i) {
    proto::Envelope trial = envelope;
    add_point(*trial.mutable_telemetry(), i);
    if (trial.ByteSizeLong() + 8 > bytes) break;
    envelope = std::move(trial);
  }
  for (std::size_t pad = 0; envelope.ByteSizeLong() < bytes; ++pad) {
    envelope.mutable_telemetry()->set_packet_id(std::string(pad, 'p'));
  }
  return proto::encode(envelope);
}

}  // namespace esper::pipeline_bench
