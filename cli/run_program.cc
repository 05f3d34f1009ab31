#include "cli/run_program.h"

#include <cstdio>
#include <exception>

#include <spdlog/spdlog.h>

#include "config/config_error.h"
#include "logging/log_setup.h"

namespace esper::cli {

int run_service(int argc, char** argv, CommandLine& command_line, std::string_view name,
                const std::string& log_level, const std::function<int()>& body) {
  command_line.footer(service_exit_code_footer());
  if (const auto code = command_line.parse(argc, argv)) return *code;
  if (!logging::setup_logging(name, log_level)) return kExitUsage;
  try {
    return body();
  } catch (const config::ConfigError& error) {
    spdlog::error("{}", error.what());  // It names the file, the key and the line.
    return kExitUsage;
  } catch (const std::exception& error) {
    spdlog::critical("{}: {}", name, error.what());
    return kExitFailed;
  }
}

int run_tool(int argc, char** argv, CommandLine& command_line, std::string_view name,
             const std::function<int()>& body) {
  if (const auto code = command_line.parse(argc, argv)) return *code;
  try {
    return body();
  } catch (const config::ConfigError& error) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(name.size()), name.data(), error.what());
    return kExitUsage;
  } catch (const std::exception& error) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(name.size()), name.data(), error.what());
    return kExitFailed;
  }
}

}  // namespace esper::cli
