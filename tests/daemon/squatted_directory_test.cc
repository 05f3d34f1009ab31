// A runtime or state directory that another user could have prepared is refused at start, by the
// real programs, with a message that names it; a fresh one is created private whatever the umask.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/child_process.h"
#include "tests/support/temp_dir.h"

namespace esper {
namespace {

using namespace std::chrono_literals;

struct Outcome {
  std::string output;
  int status = -1;
};

Outcome run(std::vector<std::string> argv) {
  const auto run = testing::run_to_completion(std::move(argv), /*with_stderr=*/true, 10s);
  if (!run.status) {
    ADD_FAILURE() << "still running 10 s later: it started instead of refusing\n" << run.out;
    return {run.out, -1};
  }
  return {run.out, *run.status};
}

void expect_refused(const Outcome& o, const std::filesystem::path& dir, const std::string& why) {
  EXPECT_TRUE(WIFEXITED(o.status) && WEXITSTATUS(o.status) != 0) << testing::describe_status(o.status) << o.output;
  EXPECT_NE(o.output.find(dir.string()), std::string::npos) << o.output;
  EXPECT_NE(o.output.find(why), std::string::npos) << o.output;
}

std::filesystem::path world_writable(const testing::TempDir& tmp) {
  const auto dir = tmp / "squatted";
  ::mkdir(dir.c_str(), 0700);
  ::chmod(dir.c_str(), 0777);
  return dir;
}

TEST(SquattedDirectoryTest, OonaRefusesARuntimeDirectoryOthersMayWriteTo) {
  testing::TempDir tmp;
  const auto dir = world_writable(tmp);
  expect_refused(run({testing::built_binary("oona/oona").string(), "--runtime-dir", dir.string()}), dir, "0777");
  EXPECT_FALSE(std::filesystem::exists(dir / "oona-normal-in.sock")) << "oona bound a socket in it anyway";
}

TEST(SquattedDirectoryTest, OonaRefusesARuntimeDirectoryAnotherUserOwns) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to another user";
  testing::TempDir tmp;
  const auto dir = tmp / "theirs";
  ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  expect_refused(run({testing::built_binary("oona/oona").string(), "--runtime-dir", dir.string()}), dir,
                 "owned by uid 65534");
}

TEST(SquattedDirectoryTest, WeatherlightAndNissaRefuseThemToo) {
  testing::TempDir tmp;
  const auto dir = world_writable(tmp);
  const auto config = tmp / "weatherlight.yaml";
  std::ofstream(config) << "runtime_dir: " << dir.string() << "\npublish_to_bus: false\nservices:\n  a:\n    argv: [/bin/sleep, '100']\n";
  expect_refused(run({testing::built_binary("weatherlight/weatherlight").string(), "--config", config.string()}), dir,
                 "0777");
  expect_refused(run({testing::built_binary("nissa/nissa").string(), "--state-dir", dir.string(), "--runtime-dir",
                      (tmp / "run").string(), "--http-port", "0"}),
                 dir, "0777");
}

TEST(SquattedDirectoryTest, AFreshRuntimeDirectoryIsPrivateUnderUmask022) {
  testing::TempDir tmp;
  const auto dir = tmp / "fresh" / "run";
  const mode_t old = ::umask(022);
  testing::ChildProcess oona({testing::built_binary("oona/oona").string(), "--runtime-dir", dir.string()});
  ::umask(old);
  ASSERT_TRUE(oona.wait_for_line("oona ready", 20s).has_value());
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
}

}  // namespace
}  // namespace esper
