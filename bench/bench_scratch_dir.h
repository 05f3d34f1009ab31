// A benchmark's scratch directory: the one given on the command line, or a new one under $TMPDIR
// (or /tmp) named <name>-XXXXXX; removed with everything in it when the benchmark ends, so that
// repeated runs do not fill the disk. Header-only, for any benchmark under bench/.
#ifndef ESPER_BENCH_BENCH_SCRATCH_DIR_H_
#define ESPER_BENCH_BENCH_SCRATCH_DIR_H_

#include <stdlib.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace esper::bench {

class ScratchDir {
 public:
  // `given` empty: a new directory. Exits with a message when none can be made.
  explicit ScratchDir(const std::string& name, const std::filesystem::path& given = {}) : path_(given) {
    if (!path_.empty()) return;
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + name + "-XXXXXX";
    if (!::mkdtemp(templ.data())) {
      std::fprintf(stderr, "create scratch directory %s: %s\n", templ.c_str(), std::strerror(errno));
      std::exit(1);
    }
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace esper::bench

#endif  // ESPER_BENCH_BENCH_SCRATCH_DIR_H_
