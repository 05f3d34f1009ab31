// The conversation on an egress socket between Oona (a ROUTER) and a bus client (a DEALER), the
// same on both lanes. It exists so that Oona can keep a queue per subscriber and send to each only
// what that subscriber has asked for (credit-based flow control, zguide chapter 7):
//
//   client -> Oona   HELLO     "esper-hello/2", name, credit window, consumed, batch bytes, prefix...
//                              ("esper-hello/1" has no batch bytes: a client that takes no batches)
//   Oona -> client   envelope  topic, serialized Envelope (the codec's two frames, as published)
//   Oona -> client   BATCH     "", "batch", count, records (oona/egress_batch.h)
//   Oona -> client   DROPPED   "", "dropped", count
//
// HELLO says who the client is (a name for Oona's logs and counters), which topic prefixes it
// wants (none: nothing; "": everything), how many envelopes it lets Oona have in flight to it (the
// credit window) and how many it has consumed so far on this socket. Oona may send while
// sent - consumed < window. The client sends HELLO on connect, again as it consumes (returning
// credit), and at least every heartbeat interval: a client that says nothing for Oona's
// subscriber_timeout is forgotten. Counting consumed envelopes cumulatively, rather than sending
// credit increments, makes a lost or repeated HELLO harmless: the next one says the same thing.
//
// Batch bytes is the largest BATCH the client takes (0: none; every envelope comes on its own).
// Oona sends one when several envelopes are ready for the client at once, each counting against the
// credit window as one.
//
// DROPPED precedes the next envelope after Oona shed some for this subscriber (its queue was full):
// the count since the last envelope delivered. Its empty first frame cannot be a topic.
//
// Numbers are decimal text. Every field is bounded; a frame that does not parse is counted and
// ignored by Oona.
#ifndef ESPER_OONA_EGRESS_PROTOCOL_H_
#define ESPER_OONA_EGRESS_PROTOCOL_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace esper::oona::egress {

inline constexpr std::string_view kHelloMarker = "esper-hello/1";
inline constexpr std::string_view kBatchingHelloMarker = "esper-hello/2";
inline constexpr std::string_view kDroppedKind = "dropped";
inline constexpr std::size_t kMaxNameBytes = 128;
inline constexpr std::size_t kMaxPrefixes = 64;
inline constexpr std::uint32_t kMaxCreditWindow = 1'000'000;
// How often a client repeats HELLO while it has nothing else to say.
inline constexpr std::chrono::milliseconds kHeartbeatInterval{1000};
// The largest frame Oona's egress sockets accept (ZMQ_MAXMSGSIZE): a HELLO is far smaller, and
// CURVE's handshake commands must fit too.
inline constexpr std::size_t kMaxControlFrameBytes = 4096;

struct Hello {
  std::string name;
  std::uint32_t credit_window = 0;
  std::uint64_t consumed = 0;
  std::vector<std::string> prefixes;
  std::uint32_t batch_bytes = 0;  // The largest BATCH it takes; 0: none (HELLO/1).
};

// HELLO/2, or HELLO/1 when the client takes no batches.
std::vector<std::string> hello_frames(const Hello& hello);
// The frames of a HELLO (after ROUTER's identity frame); nullopt if they are not one.
std::optional<Hello> parse_hello(std::span<const std::string_view> frames);

std::vector<std::string> dropped_frames(std::uint64_t count);
// True for Oona's notices (the first frame of an envelope is a topic, never empty).
inline bool is_notice(std::string_view first_frame) { return first_frame.empty(); }
// The count of a DROPPED notice; nullopt if the frames are not one.
std::optional<std::uint64_t> parse_dropped(std::span<const std::string_view> frames);

// A BATCH's count and records (views into its frames; the records are oona/egress_batch.h's);
// nullopt if the frames are not one.
struct BatchFrames {
  std::uint64_t count = 0;
  std::string_view records;
};
std::optional<BatchFrames> parse_batch(std::span<const std::string_view> frames);

// Whether `topic` starts with one of `prefixes`.
bool matches(const std::vector<std::string>& prefixes, std::string_view topic);

}  // namespace esper::oona::egress

#endif  // ESPER_OONA_EGRESS_PROTOCOL_H_
