// esper-load: synthetic metric points at a given rate through the producer client to Oona, and a
// report of what was recorded, sent and dropped (producers/load/load_command.h).
#include "cli/run_program.h"
#include "producers/load/load_command.h"

int main(int argc, char** argv) {
  using namespace esper;
  cli::CommandLine command_line(
      "esper-load: synthetic metric points at a given rate through the producer client to the Esper bus, "
      "then what was recorded, sent and dropped");
  producers::ProducerFlags flags;
  producers::load::LoadFlags load;
  producers::load::add_load_flags(command_line, flags, load);
  return cli::run_service(argc, argv, command_line, "esper-load", flags.log_level,
                          [&] { return producers::load::run_load(flags, load); });
}
