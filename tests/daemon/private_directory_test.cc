#include "daemon/private_directory.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "tests/support/temp_dir.h"

namespace esper::daemon {
namespace {

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::lstat(p.c_str(), &st), 0);
  return st.st_mode & 07777;
}

std::string refusal(const std::filesystem::path& dir) {
  try {
    ensure_private_directory(dir);
  } catch (const UnsafeDirectoryError& e) {
    return e.what();
  }
  return "";
}

TEST(PrivateDirectoryTest, CreatesItWithTheModeAskedForWhateverTheUmask) {
  esper::testing::TempDir tmp;
  const mode_t old = ::umask(0);
  ensure_private_directory(tmp / "a" / "run");
  ensure_private_directory(tmp / "shared", 0750);
  ::umask(old);
  EXPECT_EQ(mode_of(tmp / "a" / "run"), 0700u);
  EXPECT_EQ(mode_of(tmp / "shared"), 0750u);
}

TEST(PrivateDirectoryTest, RefusesADirectoryOthersMayWriteTo) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "squatted";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0777), 0);
  const std::string why = refusal(dir);
  EXPECT_NE(why.find(dir.string()), std::string::npos) << why;
  EXPECT_NE(why.find("0777"), std::string::npos) << why;
  EXPECT_EQ(mode_of(dir), 0777u) << "a refused directory must be left as it was";
}

TEST(PrivateDirectoryTest, RefusesADirectoryAnotherUserOwns) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give a directory to another user";
  esper::testing::TempDir tmp;
  const auto dir = tmp / "theirs";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chown(dir.c_str(), 65534, 65534), 0);
  const std::string why = refusal(dir);
  EXPECT_NE(why.find("owned by uid 65534"), std::string::npos) << why;
}

TEST(PrivateDirectoryTest, RefusesASymlinkAndAFile) {
  esper::testing::TempDir tmp;
  ASSERT_EQ(::symlink(tmp.path().c_str(), (tmp / "link").c_str()), 0);
  EXPECT_NE(refusal(tmp / "link").find("symbolic link"), std::string::npos);
  { std::FILE* f = std::fopen((tmp / "file").c_str(), "w"); ASSERT_NE(f, nullptr); std::fclose(f); }
  EXPECT_NE(refusal(tmp / "file").find("not a directory"), std::string::npos);
}

TEST(PrivateDirectoryTest, TakesAwayWhatOthersMayReadButKeepsTheGroup) {
  esper::testing::TempDir tmp;
  const auto dir = tmp / "old";
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  ASSERT_EQ(::chmod(dir.c_str(), 0755), 0);
  ensure_private_directory(dir);
  EXPECT_EQ(mode_of(dir), 0750u);
}

}  // namespace
}  // namespace esper::daemon
