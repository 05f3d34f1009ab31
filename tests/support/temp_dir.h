// A private temporary directory for one test, removed with everything in it when the test ends.
#ifndef ESPER_TESTS_SUPPORT_TEMP_DIR_H_
#define ESPER_TESTS_SUPPORT_TEMP_DIR_H_

#include <filesystem>
#include <string>

namespace esper::testing {

class TempDir {
 public:
  TempDir();  // Under $TMPDIR (or /tmp), named esper-test-XXXXXX.
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }
  // "ipc://<dir>/<name>", for a ZeroMQ endpoint private to this test.
  std::string ipc(const std::string& name) const { return "ipc://" + (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

}  // namespace esper::testing

#endif  // ESPER_TESTS_SUPPORT_TEMP_DIR_H_
