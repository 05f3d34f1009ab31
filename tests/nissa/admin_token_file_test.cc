// The admin token file (nissa/serve/admin_token_file.h): read when only its owner may read it, refused with
// a message that says how to fix it otherwise.
#include "nissa/serve/admin_token_file.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>
#include <stdexcept>

#include "tests/support/temp_dir.h"

namespace esper::nissa {
namespace {

std::filesystem::path token_file(const esper::testing::TempDir& dir, const std::string& text, mode_t mode) {
  const auto path = dir / "admin.token";
  std::ofstream(path) << text;
  EXPECT_EQ(::chmod(path.c_str(), mode), 0);
  return path;
}

std::string refusal(const std::filesystem::path& path) {
  try {
    read_admin_token_file(path);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(AdminTokenFileTest, ReadsTheFirstLineOfAnOwnerOnlyFile) {
  esper::testing::TempDir dir;
  EXPECT_EQ(read_admin_token_file(token_file(dir, "s3cret-token-0123456789\n# ignored\n", 0600)), "s3cret-token-0123456789");
  EXPECT_EQ(read_admin_token_file(token_file(dir, "s3cret-token-0123456789\r\n", 0400)), "s3cret-token-0123456789");
}

TEST(AdminTokenFileTest, RefusesAFileOthersMayReadOrABadToken) {
  esper::testing::TempDir dir;
  EXPECT_NE(refusal(token_file(dir, "s3cret-token-0123456789\n", 0644)).find("mode 0644"), std::string::npos);
  EXPECT_NE(refusal(token_file(dir, "s3cret-token-0123456789\n", 0640)).find("chmod 600"), std::string::npos);
  EXPECT_NE(refusal(token_file(dir, "\nsecond line\n", 0600)).find("empty"), std::string::npos);
  EXPECT_NE(refusal(token_file(dir, "short\n", 0600)).find("shorter than 16"), std::string::npos);
  EXPECT_NE(refusal(token_file(dir, "has a space in it 0123456789\n", 0600)).find("spaces"), std::string::npos);
  EXPECT_NE(refusal(dir / "missing").find("cannot open"), std::string::npos);
  EXPECT_NE(refusal(dir.path()).find("not a regular file"), std::string::npos);
}

}  // namespace
}  // namespace esper::nissa
