// BATCH, the egress message that carries several envelopes to one subscriber (its frames are parsed
// by parse_batch() in oona/egress_protocol.h; this file is its records):
//
//   "", "batch", count, records      records: count times (varint topic size, topic,
//                                                          varint envelope size, envelope)
//
// Why: ZeroMQ's cost is per frame, not per byte. Every frame is a pipe write on Oona's thread, an
// encode on its I/O thread, a decode on the subscriber's I/O thread and a pipe read on the
// subscriber's. A subscriber that keeps up with a busy bus gets the envelopes Oona read in one pass
// of its ingress as one message, so those four costs are paid once per pass instead of twice per
// envelope. Nothing waits to fill a batch: it holds what was routed to that subscriber in the
// current pass (or what its queue holds), and on a quiet bus a batch is one envelope, sent as a
// plain message.
//
// Each envelope in a batch counts as one against the subscriber's credit, as if sent alone. Only
// a client that asked for batches (HELLO's batch_bytes) gets them, never larger than it said.
// `count` is repeated before the records so that a client can return the credit of a batch whose
// records it cannot read.
#ifndef ESPER_OONA_EGRESS_BATCH_H_
#define ESPER_OONA_EGRESS_BATCH_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include <zmq.hpp>

namespace esper::oona::egress {

inline constexpr std::string_view kBatchKind = "batch";
// The largest BATCH Oona makes, whatever a client says it takes: what one pass over a busy ingress
// routes to a subscriber fits, and a batch's buffer stays a small allocation.
inline constexpr std::uint32_t kMaxBatchBytes = 1u << 20;
// What the bus client asks for (oona/bus_subscriber.h).
inline constexpr std::uint32_t kDefaultBatchBytes = 256u << 10;
// The bytes a record of `topic_bytes` and `envelope_bytes` takes in a batch.
std::size_t batch_record_bytes(std::size_t topic_bytes, std::size_t envelope_bytes);

// Builds one batch's records, in a buffer that is handed to ZeroMQ whole (no copy) when sent.
class BatchBuilder {
 public:
  BatchBuilder() = default;
  ~BatchBuilder();
  BatchBuilder(const BatchBuilder&) = delete;
  BatchBuilder& operator=(const BatchBuilder&) = delete;
  BatchBuilder(BatchBuilder&& other) noexcept;
  BatchBuilder& operator=(BatchBuilder&& other) noexcept;

  void append(std::string_view topic, std::string_view envelope);
  std::size_t count() const { return count_; }
  std::size_t bytes() const { return size_; }
  bool empty() const { return count_ == 0; }

  // The batch's last two frames, its count and its records; the builder is empty afterwards.
  // ZeroMQ frees the records' buffer once the message has been written out.
  std::pair<zmq::message_t, zmq::message_t> take_frames();

 private:
  // malloc'ed, so that realloc may grow it in place and ZeroMQ's free function is plain free().
  char* records_ = nullptr;
  std::size_t size_ = 0;
  std::size_t capacity_ = 0;
  std::size_t count_ = 0;
};

// Reads the next record off the front of `records` into `topic` and `envelope` (views into the
// same bytes); false if `records` does not start with a whole record.
bool next_batch_record(std::string_view& records, std::string_view& topic, std::string_view& envelope);

}  // namespace esper::oona::egress

#endif  // ESPER_OONA_EGRESS_BATCH_H_
