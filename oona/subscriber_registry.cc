#include "oona/subscriber_registry.h"

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "oona/envelope_reader.h"

namespace esper::oona {
namespace {

std::string join(const std::vector<std::string>& prefixes) {
  std::string s;
  for (const auto& p : prefixes) s += (s.empty() ? "'" : ", '") + p + "'";
  return s.empty() ? "none" : s;
}

enum class Sent { kYes, kFull, kGone };

// Sends one frame without waiting. A ROUTER (with ROUTER_MANDATORY) refuses the identity frame
// with EAGAIN when its pipe to that peer is full and EHOSTUNREACH when there is no such peer; once
// it took the identity it takes the rest of the message.
Sent send_frame(zmq::socket_t& socket, zmq::message_t& frame, bool more) {
  try {
    return socket.send(frame, more ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                   : zmq::send_flags::dontwait)
               ? Sent::kYes
               : Sent::kFull;
  } catch (const zmq::error_t& error) {
    if (error.num() == EHOSTUNREACH) return Sent::kGone;
    throw;
  }
}

}  // namespace

SubscriberRegistry::SubscriberRegistry(const BrokerConfig& config, std::string lane,
                                       std::size_t socket_index, BrokerStats& stats)
    : config_(config),
      lane_(std::move(lane)),
      socket_index_(socket_index),
      stats_(stats),
      shed_log_(config.reject_log_interval) {}

std::size_t SubscriberRegistry::queued() const {
  std::size_t n = 0;
  for (const auto& [identity, s] : subscribers_) n += s.queue.size();
  return n;
}

void SubscriberRegistry::read_hellos(zmq::socket_t& egress, Clock::time_point now) {
  std::vector<zmq::message_t>& frames = hello_frames_;
  while (receive_frames(egress, frames)) {
    // Frame 0 is the identity ROUTER gave the connection; the rest is what the client sent.
    const auto views = frame_views(frames);
    const auto parsed = egress::parse_hello(std::span(views).subspan(1));
    if (!parsed) {
      ++stats_.egress_control_rejected[socket_index_];
      shed_log_.log(spdlog::level::warn, "bad_hello",
                    "oona: a subscriber on the " + lane_ + " egress sent something that is not a HELLO");
      continue;
    }
    // ZMQ_SRCFD is deprecated but is the one link between a message and the monitor's events. The
    // identity frame is ROUTER's own making; the next one came off the connection.
    const int fd = zmq_msg_get(frames[1].handle(), ZMQ_SRCFD);
    hello(frames[0].to_string(), fd, *parsed, now);
  }
}

void SubscriberRegistry::hello(std::string identity, int fd, const egress::Hello& hello,
                               Clock::time_point now) {
  const std::uint32_t window =
      std::min<std::uint32_t>(hello.credit_window, static_cast<std::uint32_t>(std::max(1, config_.egress_hwm / 4)));
  auto it = subscribers_.find(identity);
  if (it == subscribers_.end()) {
    const SubscriberQueueLimits limits = config_.queue_limits_for(hello.name);
    it = subscribers_
             .emplace(std::move(identity),
                      Subscriber{.name = hello.name,
                                 .fd = fd,
                                 .prefixes = hello.prefixes,
                                 .queue = SubscriberQueue(limits.max_messages, limits.max_bytes),
                                 .window = window,
                                 .sent = hello.consumed,
                                 .consumed = hello.consumed,
                                 .unreported_drops = 0,
                                 .last_heard = now,
                                 .sent_total = &stats_.subscriber_sent[{hello.name, lane_}],
                                 .batch_bytes = std::min(hello.batch_bytes, egress::kMaxBatchBytes),
                                 .lone = std::nullopt,
                                 .batch = {}})
             .first;
    spdlog::info("oona: subscriber {} connected to the {} egress (prefixes {}; credit window {}; queue {} "
                 "envelopes, {} bytes; batches up to {} bytes)",
                 hello.name, lane_, join(hello.prefixes), window, limits.max_messages, limits.max_bytes,
                 it->second.batch_bytes);
    return;
  }
  Subscriber& s = it->second;
  s.last_heard = now;
  s.window = window;
  if (fd >= 0) s.fd = fd;
  if (hello.prefixes != s.prefixes) {
    spdlog::info("oona: subscriber {} on the {} egress now subscribes to {}", hello.name, lane_,
                 join(hello.prefixes));
    s.prefixes = hello.prefixes;
  }
  if (s.name != hello.name) {
    s.name = hello.name;
    s.sent_total = &stats_.subscriber_sent[{s.name, lane_}];
  }
  s.consumed = std::max(s.consumed, hello.consumed);
  // Envelopes still in flight when Oona forgot and re-made the subscriber count as consumed too.
  s.sent = std::max(s.sent, s.consumed);
}

std::size_t SubscriberRegistry::route(QueuedMessage item, zmq::socket_t* egress) {
  const std::string_view topic(item.topic.data<char>(), item.topic.size());
  Subscribers::value_type* last = nullptr;
  std::size_t n = 0;
  const auto push = [this](Subscriber& s, QueuedMessage message) {
    s.queue.push(std::move(message), [&](const QueuedMessage& shed, ShedReason reason) {
      const std::string why(shed_reason_name(reason));
      ++stats_.dropped[{lane_, shed.source, why}];
      ++stats_.subscriber_dropped[{s.name, lane_, why}];
      ++s.unreported_drops;
      shed_log_.log(spdlog::level::warn, s.name + "/" + why,
                    "oona: shedding envelopes for subscriber " + s.name + " on the " + lane_ +
                        " egress: its queue is full (" + why + "); it is not reading fast enough");
    });
  };
  // Nothing queued ahead of it and credit to spare: sent now (or added to its pending batch), with
  // no queue work (what a subscriber that keeps up gets for every envelope). Otherwise, or if the
  // egress refuses, queued.
  const auto deliver = [&](const std::string& identity, Subscriber& s, QueuedMessage message) {
    if (egress != nullptr && s.queue.empty() && s.credit() > 0) {
      if (s.batch_bytes > 0) {
        if (batch_or_send(*egress, identity, s, message)) return;
      } else if (open_message(*egress, identity, s)) {
        finish_message(*egress, s, message);
        return;
      }
      blocked_ = true;
    }
    push(s, std::move(message));
  };
  for (auto& entry : subscribers_) {
    if (!egress::matches(entry.second.prefixes, topic)) continue;
    if (last != nullptr) deliver(last->first, last->second, item.share());
    last = &entry;
    ++n;
  }
  if (last != nullptr) deliver(last->first, last->second, std::move(item));
  return n;
}

bool SubscriberRegistry::open_message(zmq::socket_t& egress, const std::string& identity, Subscriber& s) {
  const auto address = [&] {
    zmq::message_t to(identity.data(), identity.size());
    const Sent sent = send_frame(egress, to, true);
    if (sent == Sent::kGone) gone_.push_back(identity);
    return sent == Sent::kYes;
  };
  if (s.unreported_drops > 0) {
    if (!address()) return false;
    const auto frames = egress::dropped_frames(s.unreported_drops);
    for (std::size_t i = 0; i < frames.size(); ++i) {
      zmq::message_t frame(frames[i].data(), frames[i].size());
      (void)send_frame(egress, frame, i + 1 < frames.size());  // Accepted with the first part.
    }
    s.unreported_drops = 0;
  }
  return address();
}

void SubscriberRegistry::finish_message(zmq::socket_t& egress, Subscriber& s, QueuedMessage& item) {
  // Accepted with the identity frame.
  (void)send_frame(egress, item.topic, true);
  (void)send_frame(egress, item.payload, false);
  ++s.sent;
  ++*s.sent_total;
}

std::size_t SubscriberRegistry::Subscriber::pending_bytes() const {
  return lone ? egress::batch_record_bytes(lone->topic.size(), lone->payload.size()) : batch.bytes();
}

bool SubscriberRegistry::make_room(zmq::socket_t& egress, const std::string& identity, Subscriber& s,
                                   std::size_t record) {
  return s.pending_bytes() + record <= s.batch_bytes || flush_pending(egress, identity, s);
}

void SubscriberRegistry::add_pending(Subscriber& s, QueuedMessage item) {
  const auto view = [](const zmq::message_t& frame) { return std::string_view(frame.data<char>(), frame.size()); };
  if (s.pending() == 0) {
    s.lone = std::move(item);
  } else {
    if (s.lone) {
      s.batch.append(view(s.lone->topic), view(s.lone->payload));
      s.lone.reset();
    }
    s.batch.append(view(item.topic), view(item.payload));
  }
  ++s.sent;
  ++*s.sent_total;
}

bool SubscriberRegistry::batch_or_send(zmq::socket_t& egress, const std::string& identity, Subscriber& s,
                                       QueuedMessage& item) {
  const std::size_t record = egress::batch_record_bytes(item.topic.size(), item.payload.size());
  if (record > s.batch_bytes) {  // Too large for any batch: alone, after what is pending.
    if (!flush_pending(egress, identity, s) || !open_message(egress, identity, s)) return false;
    finish_message(egress, s, item);
    return true;
  }
  if (!make_room(egress, identity, s, record)) return false;
  add_pending(s, std::move(item));
  return true;
}

bool SubscriberRegistry::take_into_batch(zmq::socket_t& egress, const std::string& identity, Subscriber& s) {
  const QueuedMessage& front = s.queue.front();
  const std::size_t record = egress::batch_record_bytes(front.topic.size(), front.payload.size());
  if (record > s.batch_bytes) return flush_pending(egress, identity, s) && send_one(egress, identity, s);
  if (!make_room(egress, identity, s, record)) return false;
  add_pending(s, s.queue.take_front());
  return true;
}

bool SubscriberRegistry::flush_pending(zmq::socket_t& egress, const std::string& identity, Subscriber& s) {
  if (s.pending() == 0) return true;
  if (!open_message(egress, identity, s)) return false;
  // Accepted with the identity frame. The envelopes were counted when they became pending.
  if (s.lone) {
    (void)send_frame(egress, s.lone->topic, true);
    (void)send_frame(egress, s.lone->payload, false);
    s.lone.reset();
    return true;
  }
  zmq::message_t empty;
  zmq::message_t kind(egress::kBatchKind.data(), egress::kBatchKind.size());
  auto [count, records] = s.batch.take_frames();
  (void)send_frame(egress, empty, true);
  (void)send_frame(egress, kind, true);
  (void)send_frame(egress, count, true);
  (void)send_frame(egress, records, false);
  return true;
}

bool SubscriberRegistry::send_one(zmq::socket_t& egress, const std::string& identity, Subscriber& s) {
  if (!open_message(egress, identity, s)) return false;
  // Taken out first: sending empties the frames, and the queue counts its bytes by their sizes.
  QueuedMessage item = s.queue.take_front();
  finish_message(egress, s, item);
  return true;
}

bool SubscriberRegistry::send(zmq::socket_t& egress, std::size_t budget) {
  bool more = false;
  blocked_ = false;
  for (auto& [identity, s] : subscribers_) {
    // What routing left pending goes first: it is older than anything queued.
    if (!flush_pending(egress, identity, s)) {
      blocked_ = true;
      continue;
    }
    std::size_t n = 0;
    while (!s.queue.empty() && s.credit() > 0 && n < budget) {
      // Refused: a full pipe is retried on the next turn, a peer that is gone is forgotten below.
      const bool taken = s.batch_bytes > 0 ? take_into_batch(egress, identity, s) : send_one(egress, identity, s);
      if (!taken) {
        blocked_ = true;
        break;
      }
      ++n;
    }
    if (!flush_pending(egress, identity, s)) blocked_ = true;
    more = more || (n == budget && !s.queue.empty() && s.credit() > 0);
  }
  for (const auto& identity : gone_) {
    if (auto it = subscribers_.find(identity); it != subscribers_.end()) forget(it, "disconnected", "its connection is gone");
  }
  gone_.clear();
  return more;
}

void SubscriberRegistry::disconnected(int fd) {
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    auto next = std::next(it);
    if (it->second.fd == fd) forget(it, "disconnected", "it disconnected");
    it = next;
  }
}

void SubscriberRegistry::forget_silent(Clock::time_point now) {
  for (auto it = subscribers_.begin(); it != subscribers_.end();) {
    auto next = std::next(it);
    if (now - it->second.last_heard > config_.subscriber_timeout) forget(it, "forgotten", "it was silent for too long");
    it = next;
  }
}

void SubscriberRegistry::forget(Subscribers::iterator it, const char* label, std::string_view reason) {
  const Subscriber& s = it->second;
  const std::size_t left = s.queue.size() + s.pending();
  if (left > 0) stats_.subscriber_dropped[{s.name, lane_, label}] += left;
  spdlog::info("oona: forgot subscriber {} on the {} egress: {}; {} queued envelopes freed", s.name, lane_,
               reason, left);
  subscribers_.erase(it);
}

void SubscriberRegistry::fill_gauges(BrokerStats& stats) const {
  std::size_t prefixes = 0;
  for (const auto& [identity, s] : subscribers_) {
    prefixes += s.prefixes.size();
    stats.subscriber_queue_depth[{s.name, lane_}] += s.queue.size();
  }
  stats.subscribers[socket_index_] = subscribers_.size();
  stats.subscriptions[socket_index_] = static_cast<std::int64_t>(prefixes);
  stats.queue_depth[socket_index_] = queued();
}

}  // namespace esper::oona
