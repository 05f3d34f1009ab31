// What every Esper command shares on its command line: the exit codes, the way a usage error ends
// (CLI11's message, then exit 2, never CLI11's own codes of 100 and up), the --help footer that
// states the codes, and CommandLine, with which a command declares its flags.
//
//   0  done: a service stopped cleanly on SIGTERM/SIGINT, a CLI did what was asked
//   1  failed while running: a service hit a fatal error after starting, a CLI's answer is "no"
//      (esper-wal verify found corruption, esper-tail reached --timeout without Oona)
//   2  could not start as asked: bad arguments, a config that does not load, a path that is not
//      what it should be
//
// CommandLine is CLI11 underneath, but only command_line.cc includes <CLI/CLI.hpp>: the header
// costs seconds of compile time in every translation unit that includes it, and each Esper program
// is its own target.
#ifndef ESPER_CLI_COMMAND_LINE_H_
#define ESPER_CLI_COMMAND_LINE_H_

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
class Option;
}  // namespace CLI

namespace esper::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

// The footer stating the exit codes: `failed` says what 1 means for this command.
std::string exit_code_footer(std::string_view failed);

// The same footer for a long-running service.
std::string service_exit_code_footer();

// One declared option, to say more about what it accepts. A value outside what it accepts is a
// usage error naming the option.
class Option {
 public:
  Option& positive();                                    // > 0
  Option& non_negative();                                // >= 0
  Option& in_range(int min, int max);                    // Inclusive.
  Option& in_range(double min, double max);              // Inclusive.
  Option& one_of(std::initializer_list<const char*> values);
  Option& required();
  Option& excludes(const Option& other);                 // Not both on one command line.

 private:
  friend class CommandLine;
  explicit Option(CLI::Option* option) : option_(option) {}
  CLI::Option* option_;
};

// A command's flags, positional arguments and subcommands, and its --help. Each option writes its
// value into the variable it is declared with, whose value beforehand is the default.
class CommandLine {
 public:
  explicit CommandLine(std::string description);
  // Declares into an App the caller keeps (a test helper parsing with CLI11 itself).
  explicit CommandLine(CLI::App& app);
  ~CommandLine();
  CommandLine(const CommandLine&) = delete;
  CommandLine& operator=(const CommandLine&) = delete;

  // "--name" is a flag taking a value; "NAME" a positional argument.
  Option option(const std::string& name, std::string& value, const std::string& help = "");
  Option option(const std::string& name, int& value, const std::string& help = "");
  Option option(const std::string& name, std::uint32_t& value, const std::string& help = "");
  Option option(const std::string& name, std::uint64_t& value, const std::string& help = "");
  Option option(const std::string& name, double& value, const std::string& help = "");
  Option option(const std::string& name, std::optional<int>& value, const std::string& help = "");
  Option option(const std::string& name, std::vector<std::string>& value, const std::string& help = "");
  // A flag without a value: true when given.
  Option flag(const std::string& name, bool& value, const std::string& help = "");
  // --log-level, as every service spells it; logging/log_setup.h reads the value.
  Option log_level_option(std::string& level);

  // A subcommand ("esper-wal verify DIR"); it lives as long as this command line.
  CommandLine& subcommand(const std::string& name, const std::string& description);
  // Exactly one subcommand must be given.
  void require_one_subcommand();
  // After parse(): whether this subcommand was the one given.
  bool given() const;

  // Text after the options in --help (exit_code_footer, service_exit_code_footer).
  void footer(const std::string& text);

  // nullopt: go on. Otherwise the command must return the value: 0 after --help, 2 after a usage
  // error (CLI11's message printed on stderr).
  std::optional<int> parse(int argc, char** argv);

 private:
  std::unique_ptr<CLI::App> owned_;
  CLI::App* app_;
  std::vector<std::unique_ptr<CommandLine>> subcommands_;
};

}  // namespace esper::cli

#endif  // ESPER_CLI_COMMAND_LINE_H_
