// The subscribers of one egress lane as Oona knows them: each said HELLO (oona/egress_protocol.h)
// and has a name, topic prefixes, a queue of its own (oona/subscriber_queue.h) and credit. A routed
// envelope is queued, shared rather than copied, for every subscriber whose prefixes match; each
// subscriber is sent from its queue only while it has credit. So a subscriber that stops reading
// (a stopped process, a paused pager) stops granting credit, and only its own queue fills and sheds;
// Oona keeps reading its ingress and every other subscriber keeps its pace.
//
// Shed envelopes are counted (oona.dropped_total by source, oona.subscriber_dropped_total by
// subscriber), logged (rate-limited) and told to the subscriber in-band: a DROPPED notice ahead of
// the next envelope it receives.
//
// A subscriber is forgotten, its queue freed and the fact logged and counted, when its connection
// closes or when it has said nothing for the configured timeout. Its next HELLO makes it anew.
//
// Not thread-safe: each lane's thread has its own registry.
#ifndef ESPER_OONA_SUBSCRIBER_REGISTRY_H_
#define ESPER_OONA_SUBSCRIBER_REGISTRY_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <zmq.hpp>

#include "logging/rate_limited_log.h"
#include "oona/broker_config.h"
#include "oona/broker_stats.h"
#include "oona/egress_batch.h"
#include "oona/egress_protocol.h"
#include "oona/subscriber_queue.h"

namespace esper::oona {

class SubscriberRegistry {
 public:
  using Clock = std::chrono::steady_clock;

  // Counts into `stats` (the lane's own), under lane name `lane`; `socket_index` is the lane's
  // index in BrokerStats' per-socket arrays. `config` and `stats` must outlive the registry.
  SubscriberRegistry(const BrokerConfig& config, std::string lane, std::size_t socket_index,
                     BrokerStats& stats);

  // Reads every pending HELLO from `egress` (a ROUTER): makes or refreshes its subscriber.
  void read_hellos(zmq::socket_t& egress, Clock::time_point now = Clock::now());
  // Queues `item` for every subscriber whose prefixes match its topic (the last one takes `item`
  // itself, the others share its frames). Returns how many. With `egress`, a subscriber with
  // nothing queued and credit left is sent the item at once instead, or, if it takes batches,
  // has it added to its pending batch, which the next send() writes out: so a burst read off the
  // ingress in one pass reaches each subscriber as one BATCH (oona/egress_batch.h).
  std::size_t route(QueuedMessage item, zmq::socket_t* egress = nullptr);
  // Writes out every pending batch, then sends to each subscriber what its credit allows, up to
  // `budget` envelopes per subscriber (batched for a subscriber that takes batches). Returns true
  // if something is left that credit would allow now (call again without waiting).
  bool send(zmq::socket_t& egress, std::size_t budget);
  // The connection with file descriptor `fd` closed: forgets its subscriber.
  void disconnected(int fd);
  // Forgets subscribers silent for longer than the configured timeout.
  void forget_silent(Clock::time_point now = Clock::now());

  // Whether the last send() met a full pipe (retry soon: the ROUTER never says when it has room).
  bool blocked() const { return blocked_; }
  std::size_t size() const { return subscribers_.size(); }
  std::size_t queued() const;
  // Sets the lane's gauges in `stats`: subscribers, subscriptions, queue depth (total and each).
  void fill_gauges(BrokerStats& stats) const;

 private:
  struct Subscriber {
    std::string name;
    int fd = -1;
    std::vector<std::string> prefixes;
    SubscriberQueue queue;
    std::uint32_t window = 1;
    std::uint64_t sent = 0;      // In the subscriber's count: what it consumed when it said HELLO first.
    std::uint64_t consumed = 0;  // As it last said.
    std::uint64_t unreported_drops = 0;  // Shed since the last envelope sent: the next DROPPED.
    Clock::time_point last_heard;
    // Its oona.subscriber_sent_total counter in BrokerStats (a map node, so the address is stable):
    // found once per name, not once per envelope.
    std::uint64_t* sent_total = nullptr;
    // The largest BATCH it takes (0: none), as its first HELLO said, capped at kMaxBatchBytes.
    std::uint32_t batch_bytes = 0;
    // Envelopes counted as sent but not yet written: one alone (sent as a plain message, its frames
    // shared, never copied) or, from the second on, all of them in `batch`.
    std::optional<QueuedMessage> lone;
    egress::BatchBuilder batch;

    std::uint64_t credit() const { return sent - consumed < window ? window - (sent - consumed) : 0; }
    std::size_t pending() const { return lone ? 1 : batch.count(); }
    std::size_t pending_bytes() const;
  };
  using Subscribers = std::map<std::string, Subscriber>;  // By ROUTER identity.

  void hello(std::string identity, int fd, const egress::Hello& hello, Clock::time_point now);
  // `label` is the counter's reason (forgotten, disconnected), `reason` the log's.
  void forget(Subscribers::iterator it, const char* label, std::string_view reason);
  // False if the egress refused (its pipe to this subscriber is full, or the peer is gone).
  bool send_one(zmq::socket_t& egress, const std::string& identity, Subscriber& subscriber);
  // A message to `subscriber`: its identity frame, after a DROPPED notice if one is due. False if
  // the egress refused; then finish_message() sends the envelope's frames and counts it.
  bool open_message(zmq::socket_t& egress, const std::string& identity, Subscriber& subscriber);
  void finish_message(zmq::socket_t& egress, Subscriber& subscriber, QueuedMessage& item);
  // `item` to a subscriber that takes batches: into its pending batch (writing that out first if
  // `item` would not fit), or alone if larger than any batch it takes. False if the egress refused.
  bool batch_or_send(zmq::socket_t& egress, const std::string& identity, Subscriber& subscriber,
                     QueuedMessage& item);
  // The queue's front into the pending batch (or alone, if too large for one). False if refused.
  bool take_into_batch(zmq::socket_t& egress, const std::string& identity, Subscriber& subscriber);
  // Writes out the pending batch if a record of `record` bytes would not fit. False if refused.
  bool make_room(zmq::socket_t& egress, const std::string& identity, Subscriber& subscriber, std::size_t record);
  // `item` becomes pending (it must fit) and counts as sent.
  static void add_pending(Subscriber& subscriber, QueuedMessage item);
  // Writes out the subscriber's pending envelopes: a plain message for one, a BATCH for more.
  // True if there were none; false if the egress refused (they stay pending).
  bool flush_pending(zmq::socket_t& egress, const std::string& identity, Subscriber& subscriber);

  const BrokerConfig& config_;
  std::string lane_;
  std::size_t socket_index_;
  BrokerStats& stats_;
  logging::RateLimitedLog shed_log_;
  Subscribers subscribers_;
  std::vector<std::string> gone_;
  std::vector<zmq::message_t> hello_frames_;  // Reused: read_hellos() runs every loop turn.
  bool blocked_ = false;  // Identities the egress no longer knows (found while sending).
};

}  // namespace esper::oona

#endif  // ESPER_OONA_SUBSCRIBER_REGISTRY_H_
