#include "producers/tolaria/hardware_probes.h"

#include <dlfcn.h>

#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

namespace esper::tolaria {

namespace {

// The few NVML declarations used (nvml.h is not needed to build): handles are opaque pointers,
// every call returns 0 (NVML_SUCCESS) on success.
using NvmlDevice = void*;
struct NvmlUtilization {
  unsigned int gpu;
  unsigned int memory;
};
struct NvmlMemory {
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
using InitFn = int (*)();
using ShutdownFn = int (*)();
using CountFn = int (*)(unsigned int*);
using HandleFn = int (*)(unsigned int, NvmlDevice*);
using UtilFn = int (*)(NvmlDevice, NvmlUtilization*);
using MemoryFn = int (*)(NvmlDevice, NvmlMemory*);

constexpr double kBytesPerGb = 1024.0 * 1024.0 * 1024.0;

}  // namespace

std::optional<std::pair<std::uint64_t, std::uint64_t>> parse_proc_stat_cpu(const std::string& text) {
  std::istringstream in(text);
  std::string label;
  if (!(in >> label) || label != "cpu") return std::nullopt;
  // user nice system idle iowait irq softirq steal (guest time is already in user/nice).
  std::uint64_t v[8] = {};
  int n = 0;
  while (n < 8 && in >> v[n]) ++n;
  if (n < 4) return std::nullopt;
  std::uint64_t total = 0;
  for (int i = 0; i < n; ++i) total += v[i];
  const std::uint64_t idle = v[3] + (n > 4 ? v[4] : 0);
  return std::make_pair(total - idle, total);
}

std::optional<double> CpuUtilisationProbe::sample() {
  std::ifstream in(path_);
  std::string line;
  if (!in || !std::getline(in, line)) return std::nullopt;
  const auto now = parse_proc_stat_cpu(line);
  if (!now) return std::nullopt;
  const auto previous = last_;
  last_ = now;
  if (!previous || now->second <= previous->second) return std::nullopt;
  const double busy = static_cast<double>(now->first - previous->first);
  const double total = static_cast<double>(now->second - previous->second);
  return 100.0 * busy / total;
}

NvmlProbe::NvmlProbe() {
  handle_ = ::dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!handle_) {
    spdlog::info("NVML not available ({}); GPU metrics omitted", ::dlerror());
    return;
  }
  auto init = reinterpret_cast<InitFn>(::dlsym(handle_, "nvmlInit_v2"));
  auto count = reinterpret_cast<CountFn>(::dlsym(handle_, "nvmlDeviceGetCount_v2"));
  get_handle_ = ::dlsym(handle_, "nvmlDeviceGetHandleByIndex_v2");
  get_utilisation_ = ::dlsym(handle_, "nvmlDeviceGetUtilizationRates");
  get_memory_ = ::dlsym(handle_, "nvmlDeviceGetMemoryInfo");
  shutdown_ = ::dlsym(handle_, "nvmlShutdown");
  if (!init || !count || !get_handle_ || !get_utilisation_ || !get_memory_ || init() != 0 ||
      count(&device_count_) != 0) {
    spdlog::warn("NVML present but unusable; GPU metrics omitted");
    device_count_ = 0;
    return;
  }
  spdlog::info("NVML: {} GPU(s)", device_count_);
}

NvmlProbe::~NvmlProbe() {
  if (!handle_) return;
  if (device_count_ > 0 && shutdown_) reinterpret_cast<ShutdownFn>(shutdown_)();
  ::dlclose(handle_);
}

std::vector<GpuSample> NvmlProbe::sample() {
  std::vector<GpuSample> samples;
  if (!available()) return samples;
  for (unsigned i = 0; i < device_count_; ++i) {
    NvmlDevice device = nullptr;
    NvmlUtilization util{};
    NvmlMemory memory{};
    if (reinterpret_cast<HandleFn>(get_handle_)(i, &device) != 0) continue;
    if (reinterpret_cast<UtilFn>(get_utilisation_)(device, &util) != 0) continue;
    if (reinterpret_cast<MemoryFn>(get_memory_)(device, &memory) != 0) continue;
    samples.push_back({.index = i,
                       .util_percent = static_cast<double>(util.gpu),
                       .mem_used_gb = static_cast<double>(memory.used) / kBytesPerGb,
                       .mem_free_gb = static_cast<double>(memory.free) / kBytesPerGb});
  }
  return samples;
}

}  // namespace esper::tolaria
