// One exit-code convention for every command (cli/command_line.h): a usage error exits 2 with
// CLI11's message saying what is wrong (never CLI11's own codes of 100 and up), and --help exits 0
// and states the codes.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/support/child_process.h"

namespace esper {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kCommands = {
    "oona/oona",        "nissa/nissa",          "weatherlight/weatherlight",
    "oona/esper-tail",  "field_reports/esper-wal", "producers/tolaria/tolaria",
    "producers/kasmina/kasmina", "producers/tamiyo/tamiyo", "producers/uma_serve/uma-serve",
    "producers/stream_gateway/stream-gateway", "producers/rl_trainer/rl-trainer"};

testing::Completed run(const std::string& command, const std::string& argument) {
  return testing::run_to_completion({testing::built_binary(command).string(), argument}, /*with_stderr=*/true, 10s);
}

TEST(CommandLineProcessTest, AnUnknownFlagExitsTwoNamingIt) {
  for (const auto& command : kCommands) {
    const auto result = run(command, "--no-such-flag");
    ASSERT_TRUE(result.status.has_value()) << command << " --no-such-flag is still running:\n" << result.out;
    EXPECT_EQ(result.exit_code, 2) << command << ":\n" << result.out;
    // CLI11's message: the flag, or first what else is wrong (a missing --config or subcommand).
    EXPECT_NE(result.out.find("Run with --help for more information."), std::string::npos)
        << command << " did not say what is wrong:\n" << result.out;
  }
}

TEST(CommandLineProcessTest, HelpExitsZeroAndStatesTheExitCodes) {
  for (const auto& command : kCommands) {
    const auto result = run(command, "--help");
    ASSERT_TRUE(result.status.has_value()) << command << " --help is still running:\n" << result.out;
    EXPECT_EQ(result.exit_code, 0) << command << ":\n" << result.out;
    EXPECT_NE(result.out.find("Exit codes: 0 done; 1 "), std::string::npos) << command << ":\n" << result.out;
    EXPECT_NE(result.out.find("2 bad arguments"), std::string::npos) << command << ":\n" << result.out;
  }
}

}  // namespace
}  // namespace esper
