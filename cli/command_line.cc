// The one translation unit that includes CLI11 (see command_line.h).
#include "cli/command_line.h"

#include <CLI/CLI.hpp>

namespace esper::cli {

std::string exit_code_footer(std::string_view failed) {
  return "Exit codes: 0 done; 1 " + std::string(failed) +
         "; 2 bad arguments or a config or path that cannot be used.";
}

std::string service_exit_code_footer() {
  return exit_code_footer("a fatal error after starting (see the log)") +
         " SIGTERM or SIGINT stops it cleanly (exit 0).";
}

Option& Option::positive() {
  option_->check(CLI::PositiveNumber);
  return *this;
}

Option& Option::non_negative() {
  option_->check(CLI::NonNegativeNumber);
  return *this;
}

Option& Option::in_range(int min, int max) {
  option_->check(CLI::Range(min, max));
  return *this;
}

Option& Option::in_range(double min, double max) {
  option_->check(CLI::Range(min, max));
  return *this;
}

Option& Option::one_of(std::initializer_list<const char*> values) {
  option_->check(CLI::IsMember(std::vector<std::string>(values.begin(), values.end())));
  return *this;
}

Option& Option::required() {
  option_->required();
  return *this;
}

Option& Option::excludes(const Option& other) {
  option_->excludes(other.option_);
  return *this;
}

CommandLine::CommandLine(std::string description)
    : owned_(std::make_unique<CLI::App>(std::move(description))), app_(owned_.get()) {}

CommandLine::CommandLine(CLI::App& app) : app_(&app) {}

CommandLine::~CommandLine() = default;

Option CommandLine::option(const std::string& name, std::string& value, const std::string& help) {
  return Option(app_->add_option(name, value, help));
}
Option CommandLine::option(const std::string& name, int& value, const std::string& help) {
  return Option(app_->add_option(name, value, help));
}
Option CommandLine::option(const std::string& name, std::uint32_t& value, const std::string& help) {
  return Option(app_->add_option(name, value, help));
}
Option CommandLine::option(const std::string& name, std::uint64_t& value, const std::string& help) {
  return Option(app_->add_option(name, value, help));
}
Option CommandLine::option(const std::string& name, double& value, const std::string& help) {
  return Option(app_->add_option(name, value, help));
}
Option CommandLine::option(const std::string& name, std::optional<int>& value, const std::string& help) {
  return Option(app_->add_option(name, value, help));
}
Option CommandLine::option(const std::string& name, std::vector<std::string>& value, const std::string& help) {
  return Option(app_->add_option(name, value, help));
}

Option CommandLine::flag(const std::string& name, bool& value, const std::string& help) {
  return Option(app_->add_flag(name, value, help));
}

Option CommandLine::log_level_option(std::string& level) {
  return option("--log-level", level, "trace, debug, info, warn, error");
}

CommandLine& CommandLine::subcommand(const std::string& name, const std::string& description) {
  auto sub = std::make_unique<CommandLine>(*app_->add_subcommand(name, description));
  subcommands_.push_back(std::move(sub));
  return *subcommands_.back();
}

void CommandLine::require_one_subcommand() { app_->require_subcommand(1); }

bool CommandLine::given() const { return app_->parsed(); }

void CommandLine::footer(const std::string& text) { app_->footer(text); }

std::optional<int> CommandLine::parse(int argc, char** argv) {
  try {
    app_->parse(argc, argv);
    return std::nullopt;
  } catch (const CLI::ParseError& e) {
    // --help and --version are "parse errors" with code 0; anything else is a usage error.
    return app_->exit(e) == 0 ? kExitOk : kExitUsage;
  }
}

}  // namespace esper::cli
