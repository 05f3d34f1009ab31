// Every file and directory the WAL code creates is the owner's alone whatever the umask (0600 and
// 0700), what an older version left readable by others is narrowed when the WAL is opened, a
// symbolic link planted at a temporary name is never written through, and root running a tool
// hands what it creates in a service's WAL to that service's user.
#include "wal/private_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "wal/atomic_file.h"
#include "field_reports/requeue_request.h"
#include "wal/wal_format.h"
#include "wal/wal_quarantine.h"
#include "wal/wal_writer.h"
#include "tests/support/wal_test_util.h"
#include "tests/support/file_modes.h"
#include "tests/support/temp_dir.h"

namespace esper::field_reports {
namespace {

namespace fs = std::filesystem;

using esper::testing::mode_of;
using esper::testing::not_private;
using esper::testing::ScopedUmask;
// "path mode" lines for the entries that are not private.
std::string describe(const std::map<std::string, mode_t>& modes) { return esper::testing::describe_modes(modes); }

std::unique_ptr<wal::WalWriter> open_wal(const fs::path& dir) {
  wal::WalWriterOptions options;
  options.dir = dir;
  options.durability = wal::Durability::kFsync;
  options.segment_size = 256;  // A few records per segment: the test sees segments created later too.
  wal::Status status;
  auto wal = wal::WalWriter::open(options, &status);
  EXPECT_TRUE(wal) << status.message();
  return wal;
}

TEST(PrivateFilesTest, AWalItsSegmentsQuarantineAndRequeueRequestsArePrivateUnderAnOpenUmask) {
  ScopedUmask umask(0);  // The widest: whatever is not 0600/0700 here came from a mode we asked for.
  esper::testing::TempDir tmp;
  const fs::path wal_dir = tmp / "state" / "outbox" / "wal";  // Parents missing too.
  auto wal = open_wal(wal_dir);
  ASSERT_TRUE(wal);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(wal->append(1, std::string(60, 'r')).ok());
  ASSERT_GE(wal::list_segments(wal_dir).size(), 3u) << "the test wants segments created after the first";

  bool copied = false;
  const wal::WalProblem problem{1, wal::kSegmentHeaderSize, 10, wal::ProblemKind::kCorrupt, false, "test"};
  ASSERT_TRUE(wal::quarantine_range(wal_dir, problem, &copied).ok());
  ASSERT_TRUE(copied);
  fs::path request;
  ASSERT_TRUE(write_requeue_request(wal_dir, {"r-1"}, &request).ok());
  ASSERT_TRUE(wal::write_file_atomically(wal_dir / "acknowledged_corruption", "1 8 10\n").ok());

  EXPECT_TRUE(fs::exists(wal_dir / "LOCK"));
  EXPECT_TRUE(fs::exists(wal::quarantine_path(wal_dir, problem)));
  EXPECT_TRUE(fs::exists(request));
  EXPECT_EQ(describe(not_private(tmp / "state")), "") << "paths above are not 0600 (files) / 0700 (directories)";
}

TEST(PrivateFilesTest, OpeningAWalNarrowsWhatAnOlderVersionLeftReadableByOthers) {
  esper::testing::TempDir tmp;
  const fs::path wal_dir = tmp / "wal";
  {
    auto wal = open_wal(wal_dir);
    ASSERT_TRUE(wal);
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(wal->append(1, std::string(60, 'r')).ok());
  }
  fs::path request;
  ASSERT_TRUE(write_requeue_request(wal_dir, {"r-1"}, &request).ok());
  // As the code before this change left them under umask 022.
  for (const auto& entry : fs::recursive_directory_iterator(wal_dir)) {
    ASSERT_EQ(::chmod(entry.path().c_str(), entry.is_directory() ? 0755 : 0644), 0);
  }
  ASSERT_EQ(::chmod(wal_dir.c_str(), 0755), 0);
  ASSERT_NE(describe(not_private(wal_dir)), "");

  auto wal = open_wal(wal_dir);
  ASSERT_TRUE(wal);
  EXPECT_EQ(describe(not_private(wal_dir)), "") << "still readable by others after the WAL was opened";
  EXPECT_EQ(testing::file_bytes(request), "r-1\n") << "narrowing changed a file's contents";
}

TEST(PrivateFilesTest, AnAtomicWriteReplacesAWideFileWithAPrivateOne) {
  ScopedUmask umask(022);
  esper::testing::TempDir tmp;
  const fs::path path = tmp / "aggregates.ckpt";
  std::ofstream(path) << "old";
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  ASSERT_TRUE(wal::write_file_atomically(path, "new").ok());
  EXPECT_EQ(mode_of(path), 0600u);
  EXPECT_EQ(testing::file_bytes(path), "new");
}

TEST(PrivateFilesTest, ASymbolicLinkPlantedAtTheTemporaryNameIsNotWrittenThrough) {
  esper::testing::TempDir tmp;
  const fs::path victim = tmp / "victim";
  std::ofstream(victim) << "precious";
  fs::create_symlink(victim, tmp / "acknowledged_corruption.new");
  const wal::Status s = wal::write_file_atomically(tmp / "acknowledged_corruption", "1 8 10\n");
  EXPECT_FALSE(s.ok()) << "wrote through a symbolic link";
  EXPECT_EQ(testing::file_bytes(victim), "precious");
}

TEST(PrivateFilesTest, RootHandsWhatItCreatesInAServicesWalToTheServicesUser) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to give the WAL directory to another user";
  constexpr uid_t kService = 65534;  // nobody
  esper::testing::TempDir tmp;
  const fs::path wal_dir = tmp / "wal";
  ASSERT_TRUE(wal::create_private_directories(wal_dir).ok());
  ASSERT_EQ(::chown(wal_dir.c_str(), kService, kService), 0);

  fs::path request;
  ASSERT_TRUE(write_requeue_request(wal_dir, {"r-1"}, &request).ok());  // As `esper-wal requeue` run by root.
  ASSERT_TRUE(wal::write_file_atomically(wal_dir / "acknowledged_corruption", "1 8 10\n").ok());
  for (const fs::path& p : {requeue_dir(wal_dir), request, wal_dir / "acknowledged_corruption"}) {
    struct stat st {};
    ASSERT_EQ(::stat(p.c_str(), &st), 0) << p;
    EXPECT_EQ(st.st_uid, kService) << p << " stays root's: the service could not read or delete it";
    EXPECT_EQ(st.st_mode & 07777, fs::is_directory(p) ? 0700u : 0600u) << p;
  }
}

}  // namespace
}  // namespace esper::field_reports
