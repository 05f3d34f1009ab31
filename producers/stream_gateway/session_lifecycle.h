// One streaming session's lifecycle as docs/reference/streaming-sessions.md traces it, and the outcome mix a
// simulated gateway draws from.
//
// Every session starts with gateway_receive_stream_request and ends with
// gateway_ingest_stream_closed. In between, by outcome:
//   success   gateway_receive_few_processed_segments, output FPS samples
//   swapped   as success, with an orchestrator_swap part way (samples then name the new orchestrator)
//   excused   gateway_no_orchestrators_available plus the error "no orchestrators available", or an
//             error from the excusable taxonomy; no startup-success signal
//   unexcused an error outside the taxonomy; no startup-success signal
// Errors are events named "error" with the error text in the `message` attribute
// (docs/reference/streaming-sessions.md).
#ifndef ESPER_PRODUCERS_STREAM_GATEWAY_SESSION_LIFECYCLE_H_
#define ESPER_PRODUCERS_STREAM_GATEWAY_SESSION_LIFECYCLE_H_

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace esper::producers::gateway {

enum class SessionOutcome { kSuccess, kExcused, kUnexcused, kSwapped };
std::string_view outcome_name(SessionOutcome outcome);

// The excusable taxonomy of docs/reference/streaming-sessions.md (matched as substrings of the error text).
inline constexpr std::array<std::string_view, 6> kExcusableErrors{
    "no orchestrators available", "mediamtx ingest disconnected", "whip disconnected",
    "missing video",              "ice connection state failed",  "user disconnected",
};
bool is_excusable(std::string_view error_message);

// Relative weights of the outcomes; need not sum to one, must not all be zero.
struct SessionMix {
  double success = 0.7;
  double excused = 0.1;
  double unexcused = 0.1;
  double swapped = 0.1;
  bool valid() const;
};

// Draws outcomes from the mix with its own generator, so that the outcome sequence depends on the
// seed and the mix only: a test that builds the same planner knows what a run will contain.
class OutcomePlanner {
 public:
  OutcomePlanner(std::uint64_t seed, const SessionMix& mix);
  SessionOutcome next();

 private:
  std::mt19937_64 rng_;
  std::discrete_distribution<int> pick_;
};

// One step of a session's script: a lifecycle event, an error, or an output FPS sample.
struct SessionStep {
  enum Kind { kEvent, kError, kFpsSample } kind;
  std::string name;     // Event name (kEvent), error text (kError); empty for samples.
  double fps = 0;       // kFpsSample.
  bool swaps = false;   // kEvent orchestrator_swap: the session moves to a new orchestrator.
};

// The script of one session with `outcome`, `fps_samples` samples long when it streams.
std::vector<SessionStep> plan_session(SessionOutcome outcome, int fps_samples, double fps_mean,
                                      std::mt19937_64& rng);

}  // namespace esper::producers::gateway

#endif  // ESPER_PRODUCERS_STREAM_GATEWAY_SESSION_LIFECYCLE_H_
