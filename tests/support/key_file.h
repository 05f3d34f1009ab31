// Writing a key file for a test: by default readable by its owner only (0600), as the key loaders
// require (oona/key_file.h); a test of the refusal passes wider permissions.
#ifndef ESPER_TESTS_SUPPORT_KEY_FILE_H_
#define ESPER_TESTS_SUPPORT_KEY_FILE_H_

#include <filesystem>
#include <fstream>
#include <string>

namespace esper::testing {

// A 32-byte HMAC key as 64 hex digits, for tests that turn signing on.
inline const std::string kSigningKeyHex = "8f3c1a2b4d5e6f708192a3b4c5d6e7f80112233445566778899aabbccddeeff0";

inline std::filesystem::path write_key_file(
    const std::filesystem::path& path, const std::string& text,
    std::filesystem::perms perms = std::filesystem::perms::owner_read | std::filesystem::perms::owner_write) {
  std::ofstream(path) << text << "\n";
  std::filesystem::permissions(path, perms, std::filesystem::perm_options::replace);
  return path;
}

}  // namespace esper::testing

#endif  // ESPER_TESTS_SUPPORT_KEY_FILE_H_
