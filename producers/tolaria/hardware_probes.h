// Tolaria's hardware probes (docs/reference/training-system.md, gated): CPU utilisation from /proc/stat, and
// GPU utilisation and memory through NVML, loaded at run time with dlopen("libnvidia-ml.so.1") so
// the program needs no CUDA to build or run. A probe without its source yields nothing: metrics are
// omitted, never invented.
#ifndef ESPER_PRODUCERS_TOLARIA_HARDWARE_PROBES_H_
#define ESPER_PRODUCERS_TOLARIA_HARDWARE_PROBES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace esper::tolaria {

// Busy share of all CPUs between two reads of /proc/stat's "cpu" line.
class CpuUtilisationProbe {
 public:
  explicit CpuUtilisationProbe(std::string stat_path = "/proc/stat") : path_(std::move(stat_path)) {}
  // Percent busy since the previous call; nullopt on the first call or if the file is unreadable.
  std::optional<double> sample();

 private:
  std::string path_;
  std::optional<std::pair<std::uint64_t, std::uint64_t>> last_;  // (busy, total) jiffies.
};

// Parses the aggregate "cpu ..." line of /proc/stat into (busy, total) jiffies.
std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_proc_stat_cpu(const std::string& text);

struct GpuSample {
  unsigned index = 0;
  double util_percent = 0;
  double mem_used_gb = 0;
  double mem_free_gb = 0;
};

// NVML through dlopen. available() is false when the library or a device is missing.
class NvmlProbe {
 public:
  NvmlProbe();
  ~NvmlProbe();
  NvmlProbe(const NvmlProbe&) = delete;
  NvmlProbe& operator=(const NvmlProbe&) = delete;

  bool available() const { return handle_ != nullptr && device_count_ > 0; }
  // One sample per device that answered.
  std::vector<GpuSample> sample();

 private:
  void* handle_ = nullptr;
  unsigned device_count_ = 0;
  void* get_handle_ = nullptr;
  void* get_utilisation_ = nullptr;
  void* get_memory_ = nullptr;
  void* shutdown_ = nullptr;
};

}  // namespace esper::tolaria

#endif  // ESPER_PRODUCERS_TOLARIA_HARDWARE_PROBES_H_
