// Reading a secret key file (a signing key, a CURVE secret key): the one place that checks who else
// may read it. A key file that its group or others may read or write is refused, naming the file
// and its mode, unless the config says `allow_insecure_key_permissions: true`; then it is read with
// a loud warning. Every key loader goes through read_secret_key_file().
#ifndef ESPER_OONA_KEY_FILE_H_
#define ESPER_OONA_KEY_FILE_H_

#include <filesystem>
#include <string>

namespace esper::oona {

// The whole text of `path`. Throws std::invalid_argument if it cannot be read, or if its group or
// others have any access to it and `allow_insecure_permissions` is false.
std::string read_secret_key_file(const std::filesystem::path& path, bool allow_insecure_permissions);

}  // namespace esper::oona

#endif  // ESPER_OONA_KEY_FILE_H_
