// The bearer token of Nissa's admin endpoints (`http.admin_token_file`). Whoever has the token can
// reload Nissa's config, so the file must be a regular file that neither its group nor others may
// read (as for ssh keys); the token is its first line, at least 16 characters without spaces
// (`head -c 32 /dev/urandom | base64 > token` makes one).
#ifndef ESPER_NISSA_SERVE_ADMIN_TOKEN_FILE_H_
#define ESPER_NISSA_SERVE_ADMIN_TOKEN_FILE_H_

#include <cstddef>
#include <filesystem>
#include <string>

namespace esper::nissa {

inline constexpr std::size_t kMinAdminTokenLength = 16;

// The token in `path`. Throws std::runtime_error saying what is wrong and how to fix it: missing,
// not a regular file, readable by group or others (with its mode), empty, too short, or holding spaces.
std::string read_admin_token_file(const std::filesystem::path& path);

}  // namespace esper::nissa

#endif  // ESPER_NISSA_SERVE_ADMIN_TOKEN_FILE_H_
