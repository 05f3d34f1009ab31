// Every program that takes --config refuses a path that is not a readable config file, naming the
// path and saying what is wrong, and exits non-zero instead of starting on defaults.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>
#include <vector>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace esper {
namespace {

using namespace std::chrono_literals;

const std::vector<std::string> kPrograms = {"oona/oona", "nissa/nissa", "weatherlight/weatherlight",
                                            "oona/esper-tail", "producers/tolaria/tolaria"};

// Runs `program --config path` and returns its output (stdout and stderr) and wait status.
std::pair<std::string, int> run_with_config(const std::string& program, const std::string& path) {
  const auto run = testing::run_to_completion({testing::built_binary(program).string(), "--config", path},
                                              /*with_stderr=*/true, 10s);
  if (!run.status) {
    ADD_FAILURE() << program << " --config " << path << " is still running 10 s later: it started instead of refusing";
    return {run.out, -1};
  }
  return {run.out, *run.status};
}

void expect_refused(const std::string& path, const std::string& reason) {
  for (const auto& program : kPrograms) {
    const auto [output, status] = run_with_config(program, path);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0)
        << program << " exited with " << testing::describe_status(status) << "; output:\n" << output;
    EXPECT_NE(output.find(path), std::string::npos) << program << " did not name " << path << ":\n" << output;
    EXPECT_NE(output.find(reason), std::string::npos) << program << " did not say '" << reason << "':\n" << output;
  }
}

TEST(ConfigFileProcessTest, EveryProgramRefusesADirectory) {
  testing::TempDir dir;
  expect_refused(dir.path().string() + "/", "is a directory");
}

TEST(ConfigFileProcessTest, EveryProgramRefusesAMissingFile) {
  testing::TempDir dir;
  expect_refused((dir / "missing.yaml").string(), "does not exist");
}

TEST(ConfigFileProcessTest, EveryProgramRefusesAnUnreadableFile) {
  expect_refused("/proc/self/mem", "cannot read the file");
}

}  // namespace
}  // namespace esper
