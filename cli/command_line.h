// What every Esper command shares on its command line: the exit codes, the way a usage error ends
// (CLI11's message, then exit 2, never CLI11's own codes of 100 and up), and the --help footer
// that states the codes.
//
//   0  done: a service stopped cleanly on SIGTERM/SIGINT, a CLI did what was asked
//   1  failed while running: a service hit a fatal error after starting, a CLI's answer is "no"
//      (esper-wal verify found corruption, esper-tail reached --timeout without Oona)
//   2  could not start as asked: bad arguments, a config that does not load, a path that is not
//      what it should be
#ifndef ESPER_CLI_COMMAND_LINE_H_
#define ESPER_CLI_COMMAND_LINE_H_

#include <optional>
#include <string>
#include <string_view>

#include <CLI/CLI.hpp>

namespace esper::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// Parses argv into `app`. nullopt: go on. Otherwise the command must return the value: 0 after
// --help, 2 after a usage error (CLI11's message printed on stderr).
std::optional<int> parse(CLI::App& app, int argc, char** argv);

// The footer stating the exit codes: `failed` says what 1 means for this command.
std::string exit_code_footer(std::string_view failed);

// The same footer for a long-running service.
std::string service_exit_code_footer();

}  // namespace esper::cli

#endif  // ESPER_CLI_COMMAND_LINE_H_
