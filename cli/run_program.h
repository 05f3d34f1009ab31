// The exit paths every Esper main shares, so that a main only declares its flags and says what it
// does. Parsing ends the program with 0 after --help and 2 after a usage error; then the body runs,
// and its return value is the exit code, unless it throws:
//
//   config::ConfigError   exit 2: the program could not start as asked (a config that does not load)
//   any other exception   exit 1: it failed while running
//
//   int main(int argc, char** argv) {
//     cli::CommandLine command_line("oona: the Esper bus broker");
//     OonaFlags flags;
//     command_line.option("--config", flags.config_path, "YAML config file");
//     command_line.log_level_option(flags.log_level);
//     return cli::run_service(argc, argv, command_line, "oona", flags.log_level, [&] { return route(flags); });
//   }
#ifndef ESPER_CLI_RUN_PROGRAM_H_
#define ESPER_CLI_RUN_PROGRAM_H_

#include <functional>
#include <string>
#include <string_view>

#include "cli/command_line.h"

namespace esper::cli {

// A long-running service: its --help ends with service_exit_code_footer(); after parsing, logging
// is set up as `name` at `log_level` (the variable its --log-level writes; an unknown level exits
// 2). The exit paths log: a ConfigError's message at error level, another exception's as
// "name: message" at critical level.
int run_service(int argc, char** argv, CommandLine& command_line, std::string_view name,
                const std::string& log_level, const std::function<int()>& body);

// A command-line tool: no logging; the exit paths print "name: message" on stderr. Its footer is
// its own (exit_code_footer, saying what 1 means for it).
int run_tool(int argc, char** argv, CommandLine& command_line, std::string_view name,
             const std::function<int()>& body);

}  // namespace esper::cli

#endif  // ESPER_CLI_RUN_PROGRAM_H_
