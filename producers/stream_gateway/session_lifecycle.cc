#include "producers/stream_gateway/session_lifecycle.h"

#include <algorithm>
#include <cctype>

namespace esper::producers::gateway {
namespace {

// Startup failures outside the taxonomy: they make a session unexcused.
constexpr std::array<std::string_view, 4> kUnexcusedErrors{
    "pipeline load failed: CUDA out of memory",
    "inference runtime crashed",
    "orchestrator returned 500 on segment upload",
    "model warm-up timed out",
};

std::string lower(std::string_view text) {
  std::string s(text);
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

template <std::size_t N>
std::string_view pick(const std::array<std::string_view, N>& options, std::size_t first, std::mt19937_64& rng) {
  std::uniform_int_distribution<std::size_t> d(first, N - 1);
  return options[d(rng)];
}

}  // namespace

std::string_view outcome_name(SessionOutcome outcome) {
  switch (outcome) {
    case SessionOutcome::kSuccess: return "success";
    case SessionOutcome::kExcused: return "excused";
    case SessionOutcome::kUnexcused: return "unexcused";
    case SessionOutcome::kSwapped: return "swapped";
  }
  return "unknown";
}

bool is_excusable(std::string_view error_message) {
  const std::string text = lower(error_message);
  return std::any_of(kExcusableErrors.begin(), kExcusableErrors.end(),
                     [&](std::string_view e) { return text.find(e) != std::string::npos; });
}

bool SessionMix::valid() const {
  const double w[] = {success, excused, unexcused, swapped};
  bool any = false;
  for (double x : w) {
    if (!(x >= 0)) return false;  // Also rejects NaN.
    any = any || x > 0;
  }
  return any;
}

OutcomePlanner::OutcomePlanner(std::uint64_t seed, const SessionMix& mix)
    : rng_(seed), pick_({mix.success, mix.excused, mix.unexcused, mix.swapped}) {}

SessionOutcome OutcomePlanner::next() { return static_cast<SessionOutcome>(pick_(rng_)); }

std::vector<SessionStep> plan_session(SessionOutcome outcome, int fps_samples, double fps_mean,
                                      std::mt19937_64& rng) {
  std::normal_distribution<double> fps(fps_mean, fps_mean * 0.1);
  auto sample = [&] { return SessionStep{SessionStep::kFpsSample, "", std::max(0.0, fps(rng))}; };
  std::vector<SessionStep> steps;
  steps.push_back({SessionStep::kEvent, "gateway_receive_stream_request"});
  switch (outcome) {
    case SessionOutcome::kSuccess:
      steps.push_back({SessionStep::kEvent, "gateway_receive_few_processed_segments"});
      for (int i = 0; i < fps_samples; ++i) steps.push_back(sample());
      break;
    case SessionOutcome::kSwapped: {
      steps.push_back({SessionStep::kEvent, "gateway_receive_few_processed_segments"});
      const int before = std::max(1, fps_samples / 2);
      for (int i = 0; i < before; ++i) steps.push_back(sample());
      steps.push_back({SessionStep::kEvent, "orchestrator_swap", 0, true});
      for (int i = before; i < std::max(fps_samples, before + 1); ++i) steps.push_back(sample());
      break;
    }
    case SessionOutcome::kExcused:
      if (std::bernoulli_distribution(0.5)(rng)) {
        steps.push_back({SessionStep::kEvent, "gateway_no_orchestrators_available"});
        steps.push_back({SessionStep::kError, std::string(kExcusableErrors[0])});
      } else {
        steps.push_back({SessionStep::kError, std::string(pick(kExcusableErrors, 1, rng))});
      }
      break;
    case SessionOutcome::kUnexcused:
      steps.push_back({SessionStep::kError, std::string(pick(kUnexcusedErrors, 0, rng))});
      break;
  }
  steps.push_back({SessionStep::kEvent, "gateway_ingest_stream_closed"});
  return steps;
}

}  // namespace esper::producers::gateway
