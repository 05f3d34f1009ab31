// Turns Tolaria's measured steps into the step metrics of docs/reference/training-system.md, under their
// exact names and units, each point carrying its `step`. The derived statistics (loss_delta,
// loss_ewma, loss_volatility as a rolling std, grad_norm_ewma, grad_var) are computed here, and
// hardware probes are read here, only with enrichment on
// (`tolaria_step_enrichment_enabled`): with it off the gated set and the probes are skipped
// entirely, leaving the core loop metrics and the hook timings.
#ifndef ESPER_PRODUCERS_TOLARIA_STEP_TELEMETRY_H_
#define ESPER_PRODUCERS_TOLARIA_STEP_TELEMETRY_H_

#include <chrono>
#include <cstddef>
#include <optional>
#include <vector>

#include "esper/telemetry.pb.h"
#include "producers/derived_stats.h"
#include "producers/tolaria/hardware_probes.h"
#include "producers/tolaria/tolaria_trainer.h"

namespace esper::tolaria {

struct StepTelemetryOptions {
  bool enrichment = true;          // tolaria_step_enrichment_enabled.
  double ewma_alpha = 0.1;
  std::size_t volatility_window = 20;
  std::chrono::milliseconds cpu_sample_interval{250};  // /proc/stat is read at most this often.
};

class StepTelemetry {
 public:
  // `nvml` may be null (no GPU probing).
  StepTelemetry(StepTelemetryOptions options, NvmlProbe* nvml);

  // The points for one step: core metrics, and with enrichment the derived statistics, the phase
  // timings and the hardware probes. Statistics undefined so far (a delta on the first step, a
  // variance below two samples) are omitted.
  std::vector<proto::MetricPoint> step_points(const StepResult& result);
  // The hook timings, measured by the caller around step_points() and the recording:
  // hook_latency_ms and tamiyo_latency_ms always, step_latency_ms (gated) with enrichment.
  std::vector<proto::MetricPoint> latency_points(const StepResult& result, double hook_ms,
                                                   double step_ms) const;

 private:
  StepTelemetryOptions options_;
  NvmlProbe* nvml_;
  producers::Delta loss_delta_;
  producers::Ewma loss_ewma_;
  producers::RollingStats loss_window_;
  producers::Ewma grad_ewma_;
  producers::RollingStats grad_window_;
  CpuUtilisationProbe cpu_;
  std::optional<double> cpu_percent_;
  std::chrono::steady_clock::time_point next_cpu_sample_{};
};

}  // namespace esper::tolaria

#endif  // ESPER_PRODUCERS_TOLARIA_STEP_TELEMETRY_H_
