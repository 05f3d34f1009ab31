// File modes in tests of private state: a umask for one test, and the entries of a tree that are
// not private (0600 for files, 0700 for directories).
#ifndef ESPER_TESTS_SUPPORT_FILE_MODES_H_
#define ESPER_TESTS_SUPPORT_FILE_MODES_H_

#include <sys/stat.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <string>

namespace esper::testing {

// Sets the umask for one test and restores it after.
class ScopedUmask {
 public:
  explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
  ~ScopedUmask() { ::umask(old_); }
  ScopedUmask(const ScopedUmask&) = delete;
  ScopedUmask& operator=(const ScopedUmask&) = delete;

 private:
  mode_t old_;
};

// The permission bits of `path` (not following a symlink); 07777 if it cannot be read.
inline mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 07777;
}

// Every path under `root` (and root) whose mode is not 0600 (files) or 0700 (directories), with
// its mode.
inline std::map<std::string, mode_t> not_private(const std::filesystem::path& root) {
  namespace fs = std::filesystem;
  std::map<std::string, mode_t> wrong;
  auto check = [&](const fs::path& p) {
    const mode_t want = fs::is_directory(fs::symlink_status(p)) ? 0700 : 0600;
    if (mode_of(p) != want) wrong[p.string()] = mode_of(p);
  };
  check(root);
  for (const auto& entry : fs::recursive_directory_iterator(root)) check(entry.path());
  return wrong;
}

// "path mode" lines, for a failure message.
inline std::string describe_modes(const std::map<std::string, mode_t>& modes) {
  std::string out;
  for (const auto& [path, mode] : modes) {
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    out += path + " " + octal + "\n";
  }
  return out;
}

}  // namespace esper::testing

#endif  // ESPER_TESTS_SUPPORT_FILE_MODES_H_
