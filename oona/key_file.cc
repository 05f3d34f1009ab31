#include "oona/key_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include <spdlog/spdlog.h>

#include "daemon/file_mode_text.h"

namespace esper::oona {
std::string read_secret_key_file(const std::filesystem::path& path, bool allow_insecure_permissions) {
  // The mode is read from the descriptor the key is read through, so it is the same file.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::invalid_argument("cannot read key file " + path.string() + ": " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw std::invalid_argument("key file " + path.string() + " is not a regular file");
  }
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    if (!allow_insecure_permissions) {
      ::close(fd);
      throw std::invalid_argument("key file " + path.string() + " has mode " + daemon::octal_mode(st.st_mode) +
                                  ": its group or others may access it; chmod 600 it (or set "
                                  "allow_insecure_key_permissions: true to accept it)");
    }
    spdlog::warn("INSECURE: key file {} has mode {}: its group or others may access it; accepted only because "
                 "allow_insecure_key_permissions is true. chmod 600 it.",
                 path.string(), daemon::octal_mode(st.st_mode));
  }
  std::string text;
  char buffer[4096];
  while (true) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      throw std::invalid_argument("cannot read key file " + path.string() + ": " + std::strerror(error));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
    if (text.size() > (1u << 16)) {
      ::close(fd);
      throw std::invalid_argument("key file " + path.string() + " is too large to be a key");
    }
  }
  ::close(fd);
  return text;
}

}  // namespace esper::oona
