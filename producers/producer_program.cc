#include "producers/producer_program.h"

#include <cstdio>

#include <spdlog/spdlog.h>

#include "cli/run_program.h"
#include "producers/paced_loop.h"

namespace esper::producers {

Producer::Producer(std::string name, const ProducerFlags& flags, ServiceRuntimeOptions options)
    : name_(std::move(name)), flags_(flags), runtime_(std::move(options)) {}

void Producer::say_ready() const {
  std::printf("%s ready\n", name_.c_str());
  std::fflush(stdout);
}

void Producer::stop() {
  runtime_.stop();
  const ServiceRuntimeStats stats = runtime_.stats();
  spdlog::info("{}: {} points published, {} items dropped (buffer full), {} left unsent ({} batch drains, {} "
               "flushes answered, {} timer flushes)",
               name_, stats.points_published, stats.dropped_total, runtime_.buffer().depth(), stats.batch_drains,
               stats.flushes_answered, stats.timer_flushes);
}

std::uint64_t Producer::run_paced(const std::function<bool()>& step) {
  return producers::run_paced(flags_.rate, flags_.duration_s, signals_, step);
}

ProducerProgram::ProducerProgram(std::string name, std::string description)
    : name_(std::move(name)), command_line_(std::move(description)) {
  add_producer_flags(command_line_, flags_);
}

int ProducerProgram::run(int argc, char** argv, const std::function<int()>& body) {
  return cli::run_service(argc, argv, command_line_, name_, flags_.log_level, body);
}

ServiceRuntimeOptions ProducerProgram::runtime_options() const { return runtime_options_from_flags(flags_, name_); }

Producer ProducerProgram::start() const { return start(runtime_options()); }

Producer ProducerProgram::start(ServiceRuntimeOptions options) const {
  return Producer(name_, flags_, std::move(options));
}

}  // namespace esper::producers
