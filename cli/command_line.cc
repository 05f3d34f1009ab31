#include "cli/command_line.h"

namespace esper::cli {

std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    // --help and --version are "parse errors" with code 0; anything else is a usage error.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
}

std::string exit_code_footer(std::string_view failed) {
  return "Exit codes: 0 done; 1 " + std::string(failed) +
         "; 2 bad arguments or a config or path that cannot be used.";
}

std::string service_exit_code_footer() {
  return exit_code_footer("a fatal error after starting (see the log)") +
         " SIGTERM or SIGINT stops it cleanly (exit 0).";
}

}  // namespace esper::cli
