#include "oona/bus_subscriber.h"

#include <errno.h>

#include <algorithm>
#include <memory>
#include <numeric>

#include <spdlog/spdlog.h>

#include "oona/bus_publisher.h"
#include "oona/egress_batch.h"
#include "oona/egress_protocol.h"
#include "oona/frame_limit.h"

namespace esper::oona {
namespace {

// `monitor`, if given, is made to watch the socket before it connects.
zmq::socket_t make_dealer(zmq::context_t& context, const std::string& endpoint,
                          const BusSubscriberOptions& options,
                          std::unique_ptr<ConnectionMonitor>* monitor = nullptr) {
  zmq::socket_t socket(context, zmq::socket_type::dealer);
  socket.set(zmq::sockopt::rcvhwm, options.receive_hwm);
  socket.set(zmq::sockopt::maxmsgsize, transport_frame_limit(options.limits.max_envelope_bytes));
  socket.set(zmq::sockopt::linger, 0);
  apply_curve_client(socket, endpoint, options.curve);
  if (monitor != nullptr) *monitor = std::make_unique<ConnectionMonitor>(context, socket);
  socket.connect(endpoint);
  return socket;
}

}  // namespace

std::string default_subscriber_name() {
  return std::string(program_invocation_short_name) + "@" + default_instance();
}

BusSubscriber::BusSubscriber(BusSubscriberOptions options) : options_(std::move(options)) {
  if (options_.name.empty()) options_.name = default_subscriber_name();
  // A BATCH is one frame: it must get past the sockets' frame limit, with room to spare.
  const auto frame_limit = static_cast<std::uint64_t>(transport_frame_limit(options_.limits.max_envelope_bytes));
  options_.batch_bytes = static_cast<std::uint32_t>(std::min<std::uint64_t>(options_.batch_bytes, frame_limit / 2));
  if (!options_.signing_key.empty()) signer_.emplace(options_.signing_key);
  if (options_.normal) {
    normal_.socket = make_dealer(normal_context_, options_.endpoints.normal_egress, options_, &connection_);
    maybe_hello(normal_, Hello::kNow);
  }
  if (options_.emergency) {
    (void)start_emergency_io_threads(emergency_context_, options_.emergency_scheduling);
    emergency_.socket = make_dealer(emergency_context_, options_.endpoints.emergency_egress, options_,
                                    connection_ ? nullptr : &connection_);
    maybe_hello(emergency_, Hello::kNow);
  }
}

BusSubscriber::~BusSubscriber() {
  connection_.reset();
  normal_.socket.close();
  emergency_.socket.close();
}

bool BusSubscriber::connected() { return connection_ && connection_->connected(); }

std::uint64_t BusSubscriber::rejected_total() const {
  return std::accumulate(rejected_.begin(), rejected_.end(), std::uint64_t{0});
}

void BusSubscriber::maybe_hello(Egress& egress, Hello when) {
  if (!egress.socket) return;
  const auto now = std::chrono::steady_clock::now();
  // Credit goes back after a quarter window, and whenever the socket ran dry: Oona may have capped
  // the window below what was asked, and must not wait for a return that would never come.
  const std::uint64_t unreported = egress.consumed - egress.reported;
  const bool credit_due = unreported >= std::max<std::uint32_t>(1, options_.credit_window / 4) ||
                          (when == Hello::kIfDrained && unreported > 0);
  if (when != Hello::kNow && !credit_due && now - egress.last_hello < egress::kHeartbeatInterval) return;
  const auto frames = egress::hello_frames(
      egress::Hello{.name = options_.name,
                    .credit_window = options_.credit_window,
                    .consumed = egress.consumed,
                    .prefixes = options_.prefixes,
                    .batch_bytes = options_.batch_bytes});
  // Never waits: a HELLO that does not fit now is said again at the next chance.
  for (std::size_t i = 0; i < frames.size(); ++i) {
    const auto flags = i + 1 < frames.size() ? zmq::send_flags::sndmore | zmq::send_flags::dontwait
                                             : zmq::send_flags::dontwait;
    if (!egress.socket.send(zmq::buffer(frames[i]), flags)) return;  // Only the first part can fail.
  }
  egress.reported = egress.consumed;
  egress.last_hello = now;
}

void BusSubscriber::heartbeat() {
  maybe_hello(emergency_);
  maybe_hello(normal_);
}

bool BusSubscriber::receive_message(Egress& egress, proto::Lane lane) {
  if (egress.batch.size() > 0) egress.batch.rebuild();  // The last BATCH is all handed out: freed.
  // A non-blocking recv only looks at ZeroMQ's command mailbox (where "a pipe has data" arrives)
  // about once a millisecond while the thread is busy; asking for ZMQ_EVENTS always looks. That is
  // the difference between microseconds and milliseconds for an emergency behind a busy normal lane.
  if (lane == proto::Lane::kEmergency && (egress.socket.get(zmq::sockopt::events) & ZMQ_POLLIN) == 0) {
    maybe_hello(egress, Hello::kIfDrained);
    return false;
  }
  if (!receive_frames(egress.socket, frames_)) {
    maybe_hello(egress, Hello::kIfDrained);
    return false;
  }
  return true;
}

void BusSubscriber::take_notice(Egress& egress, proto::Lane lane, std::span<const std::string_view> frames) {
  if (const auto dropped = egress::parse_dropped(frames)) {
    missed_[lane == proto::Lane::kEmergency] += *dropped;
    return;
  }
  if (frames.size() < 2 || frames[1] != egress::kBatchKind) return;  // A notice of a later Oona: not ours.
  const auto batch = egress::parse_batch(frames);
  // Each record takes at least two bytes: a larger count is a lie that would inflate the credit.
  if (!batch || batch->count == 0 || batch->count > batch->records.size() / 2) {
    reject(RejectReason::kUnparseable, lane, "a batch whose header is malformed or whose count is impossible");
    return;
  }
  egress.batch = std::move(frames_[3]);
  egress.batch_rest = std::string_view(egress.batch.data<char>(), egress.batch.size());
  egress.batch_left = batch->count;
}

void BusSubscriber::reject(RejectReason reason, proto::Lane lane, std::string_view detail) {
  ++rejected_[static_cast<std::size_t>(reason)];
  const std::string_view name = reject_reason_name(reason);
  problems_.log(spdlog::level::warn, name,
                fmt::format("{}: refused a message from Oona on the {} egress ({}): {}", options_.name,
                            proto::lane_name(lane), name, detail));
}

bool BusSubscriber::next_record(Egress& egress, proto::Lane lane, std::array<std::string_view, 2>& record) {
  if (egress::next_batch_record(egress.batch_rest, record[0], record[1])) {
    if (--egress.batch_left == 0 && !egress.batch_rest.empty()) {
      reject(RejectReason::kUnparseable, lane,
             std::to_string(egress.batch_rest.size()) + " bytes after the last record a batch counted");
    }
    return true;
  }
  reject(RejectReason::kUnparseable, lane,
         "a batch record cut or malformed, " + std::to_string(egress.batch_left) + " counted records left");
  egress.consumed += egress.batch_left;  // Oona counted them against the credit: they go back.
  egress.batch_left = 0;
  maybe_hello(egress);
  return false;
}

std::optional<proto::Decoded> BusSubscriber::read_decoded(Egress& egress, proto::Lane lane,
                                                         proto::EnvelopeSlot* slot) {
  while (true) {
    std::array<std::string_view, 2> record;
    std::vector<std::string_view> views;
    std::span<const std::string_view> message;
    if (egress.batch_left > 0) {
      if (!next_record(egress, lane, record)) continue;
      message = record;
    } else {
      if (!receive_message(egress, lane)) return std::nullopt;
      views = frame_views(frames_);
      if (egress::is_notice(views[0])) {
        take_notice(egress, lane, views);
        continue;
      }
      message = views;
    }
    ++egress.consumed;
    maybe_hello(egress);
    ReadEnvelope read = decode_and_verify(message, options_.limits, signer_ ? &*signer_ : nullptr, slot, &replay_);
    if (!read.ok()) {
      reject(*read.reject, lane, read.detail);
      continue;
    }
    ++received_[lane == proto::Lane::kEmergency];
    sequences_.observe(read.decoded.envelope());
    return std::move(read.decoded);
  }
}

std::optional<BusMessage> BusSubscriber::try_read(Egress& egress, proto::Lane lane) {
  auto decoded = read_decoded(egress, lane, nullptr);
  if (!decoded) return std::nullopt;
  return BusMessage{lane, decoded->topic(), std::move(decoded->envelope())};
}

bool BusSubscriber::wait_readable(std::chrono::milliseconds timeout) {
  heartbeat();
  std::vector<zmq::pollitem_t> items;
  if (emergency_.socket) items.push_back({emergency_.socket.handle(), 0, ZMQ_POLLIN, 0});
  if (normal_.socket) items.push_back({normal_.socket.handle(), 0, ZMQ_POLLIN, 0});
  // Wake for the heartbeat too: an idle subscriber must still be heard from.
  return zmq::poll(items, std::min(timeout, std::chrono::milliseconds(egress::kHeartbeatInterval))) > 0;
}

std::size_t BusSubscriber::receive_batch(std::chrono::milliseconds timeout, std::size_t max,
                                         const std::function<void(const BusMessageView&)>& visit) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::size_t n = 0;
  while (n < max) {
    std::optional<proto::Decoded> d;
    proto::Lane lane = proto::Lane::kEmergency;
    if (emergency_.socket) d = read_decoded(emergency_, lane, &batch_slot_);
    if (!d && normal_.socket) {
      lane = proto::Lane::kNormal;
      d = read_decoded(normal_, lane, &batch_slot_);
    }
    if (d) {
      visit(BusMessageView{lane, d->topic(), d->envelope()});
      ++n;
      continue;
    }
    if (n > 0) break;  // The batch is whatever had already arrived.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    wait_readable(left);
  }
  heartbeat();
  return n;
}

std::optional<BusMessage> BusSubscriber::receive(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (emergency_.socket) {
      if (auto m = try_read(emergency_, proto::Lane::kEmergency)) return m;
    }
    if (normal_.socket) {
      if (auto m = try_read(normal_, proto::Lane::kNormal)) return m;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      heartbeat();
      return std::nullopt;
    }
    wait_readable(left);
  }
}

std::optional<BusMessage> BusSubscriber::receive_from(proto::Lane lane,
                                                      std::chrono::milliseconds timeout) {
  Egress& egress = lane == proto::Lane::kEmergency ? emergency_ : normal_;
  const proto::Lane socket_lane = lane == proto::Lane::kEmergency ? lane : proto::Lane::kNormal;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (auto m = try_read(egress, socket_lane)) return m;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    heartbeat();
    if (left.count() <= 0) return std::nullopt;
    std::vector<zmq::pollitem_t> items{{egress.socket.handle(), 0, ZMQ_POLLIN, 0}};
    zmq::poll(items, std::min(left, std::chrono::milliseconds(egress::kHeartbeatInterval)));
  }
}

}  // namespace esper::oona
