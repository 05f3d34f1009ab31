// The main of every producer program (kasmina, tamiyo, tolaria, rl-trainer, stream-gateway,
// uma-serve): a command line with the shared flags (producer_flags.h) and the program's own, the
// exit paths of a service (cli/run_program.h), and, once it starts producing, a Producer: the stop
// signals, the service runtime it publishes through, and its --rate and --duration.
//
//   int main(int argc, char** argv) {
//     producers::ProducerProgram program("kasmina", "kasmina: reference seed executor");
//     program.command_line().option("--seeds", options.seeds, "Seed slots").positive();
//     return program.run(argc, argv, [&] {
//       auto producer = program.start();
//       producer.say_ready();
//       producer.run_paced([&] { ...; return true; });
//       producer.stop();
//       return cli::kExitOk;
//     });
//   }
#ifndef ESPER_PRODUCERS_PRODUCER_PROGRAM_H_
#define ESPER_PRODUCERS_PRODUCER_PROGRAM_H_

#include <cstdint>
#include <functional>
#include <string>

#include "cli/command_line.h"
#include "producers/producer_flags.h"
#include "producers/service_runtime.h"
#include "signals/shutdown_signals.h"

namespace esper::producers {

// A producer at work. The stop signals are blocked before the runtime starts its threads, which
// inherit the mask.
class Producer {
 public:
  Producer(std::string name, const ProducerFlags& flags, ServiceRuntimeOptions options);

  signals::ShutdownSignals& signals() { return signals_; }
  ServiceRuntime& runtime() { return runtime_; }

  // "<name> ready" on stdout: scripts and tests wait for it.
  void say_ready() const;

  // Calls `step` at --rate until --duration has passed, a stop signal came, or `step` returns
  // false (paced_loop.h). Returns how many steps ran.
  std::uint64_t run_paced(const std::function<bool()>& step);

  // Drains once more and stops the runtime (ServiceRuntime::stop), then logs what the buffer did
  // over the run: points published, dropped because it was full, and left unsent.
  void stop();

 private:
  std::string name_;
  const ProducerFlags& flags_;
  signals::ShutdownSignals signals_;
  ServiceRuntime runtime_;
};

class ProducerProgram {
 public:
  // `name`: the program's name in its log and its ready line, and its service name on the bus
  // unless Weatherlight gives it another. Declares the shared flags.
  ProducerProgram(std::string name, std::string description);

  cli::CommandLine& command_line() { return command_line_; }
  const ProducerFlags& flags() const { return flags_; }

  // cli::run_service with this program's command line, name and --log-level.
  int run(int argc, char** argv, const std::function<int()>& body);

  // The runtime options the flags and the environment give (runtime_options_from_flags); throws
  // config::ConfigError for a config that does not load.
  ServiceRuntimeOptions runtime_options() const;

  // Starts producing with runtime_options(), or with options the program adjusted.
  Producer start() const;
  Producer start(ServiceRuntimeOptions options) const;

 private:
  std::string name_;
  cli::CommandLine command_line_;
  ProducerFlags flags_;
};

}  // namespace esper::producers

#endif  // ESPER_PRODUCERS_PRODUCER_PROGRAM_H_
