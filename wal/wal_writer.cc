#include "wal/wal_writer.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include <spdlog/spdlog.h>

#include "wal/atomic_file.h"
#include "wal/private_files.h"

namespace esper::wal {

std::optional<Durability> parse_durability(std::string_view name) {
  if (name == "fsync") return Durability::kFsync;
  if (name == "group") return Durability::kGroup;
  if (name == "none") return Durability::kNone;
  return std::nullopt;
}

std::string_view to_string(Durability durability) {
  switch (durability) {
    case Durability::kFsync: return "fsync";
    case Durability::kGroup: return "group";
    case Durability::kNone: return "none";
  }
  return "unknown";
}

WalWriter::WalWriter(WalWriterOptions options)
    : options_(std::move(options)), ops_(options_.file_ops ? options_.file_ops : &posix_file_ops()) {}

std::unique_ptr<WalWriter> WalWriter::open(WalWriterOptions options, Status* status,
                                           RepairReport* repair) {
  Status local;
  Status& out = status ? *status : local;
  if (options.segment_size < kSegmentHeaderSize + kRecordHeaderSize) {
    out = Status::error(EINVAL, "segment size " + std::to_string(options.segment_size) + " is too small");
    return nullptr;
  }
  std::unique_ptr<WalWriter> writer(new WalWriter(std::move(options)));
  RepairReport local_repair;
  out = writer->open_files(repair ? repair : &local_repair);
  if (!out.ok()) return nullptr;
  if (writer->options_.durability == Durability::kGroup) {
    writer->flusher_ = std::thread([w = writer.get()] { w->flusher_loop(); });
  }
  return writer;
}

WalWriter::~WalWriter() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  work_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  if (fd_ >= 0) ::close(fd_);
  if (dir_fd_ >= 0) ::close(dir_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);  // Releases the flock.
}

Status WalWriter::open_files(RepairReport* repair) {
  const auto& dir = options_.dir;
  if (Status s = create_private_directories(dir); !s.ok()) return s;
  narrow_to_private(dir);  // Segments, quarantine/ and requeue/ an older version left readable by others.
  dir_fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd_ < 0) return errno_status(errno, "open WAL directory " + dir.string());
  lock_fd_ = create_private_file(dir / "LOCK", O_RDWR);
  if (lock_fd_ < 0) return errno_status(errno, "open " + (dir / "LOCK").string());
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return errno_status(errno, "another process is writing the WAL in " + dir.string());
  }
  AppendPoint append_at;
  if (Status s = repair_wal(dir, *ops_, repair, &append_at); !s.ok()) return s;
  if (!append_at.exists) {
    Status s = create_segment(append_at.segment);
    tail_ = RecordPosition{fd_segment_, fd_size_};
    return s;
  }
  const auto path = dir / segment_file_name(append_at.segment);
  fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd_ < 0) return errno_status(errno, "open " + path.string());
  fd_segment_ = append_at.segment;
  fd_size_ = append_at.offset;
  tail_ = RecordPosition{fd_segment_, fd_size_};
  return {};
}

Status WalWriter::create_segment(std::uint64_t segment) {
  const auto final_path = options_.dir / segment_file_name(segment);
  auto tmp_path = final_path;
  tmp_path += ".tmp";
  const std::string name = "new segment " + final_path.string();
  Status status;
  const int fd = create_whole_file(tmp_path, final_path, encode_segment_header(), *ops_, name, &status);
  if (fd < 0) return status;
  if (ops_->fsync(dir_fd_) != 0) {
    // The segment is in place but its directory entry may not be durable: do not write into it.
    const int err = errno;
    ::close(fd);
    return errno_status(err, "fsync WAL directory after creating " + final_path.string());
  }
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
  fd_segment_ = segment;
  fd_size_ = kSegmentHeaderSize;
  needs_truncate_ = false;
  return {};
}

Lsn WalWriter::enqueue_locked(std::uint8_t type, std::string_view payload) {
  const std::uint64_t size = encoded_record_size(payload.size());
  if (tail_.offset > kSegmentHeaderSize && tail_.offset + size > options_.segment_size) {
    tail_ = RecordPosition{tail_.segment + 1, kSegmentHeaderSize};
  }
  const Lsn lsn{next_seq_++, tail_};
  if (queue_.empty()) queue_first_seq_ = lsn.seq;
  if (queue_.empty() || queue_.back().segment != tail_.segment) queue_.push_back(Chunk{tail_.segment, {}, 0});
  append_encoded_record(queue_.back().bytes, type, payload);
  queue_.back().last_seq = lsn.seq;
  tail_.offset += size;
  return lsn;
}

Status WalWriter::append(std::uint8_t type, std::string_view payload, Lsn* lsn) {
  if (type == 0) return Status::error(EINVAL, "record type 0 is reserved");
  if (payload.size() > kMaxPayload) {
    return Status::error(EMSGSIZE, "record of " + std::to_string(payload.size()) + " bytes is over the limit");
  }
  if (options_.durability == Durability::kGroup) {
    Lsn assigned;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return Status::error(ESHUTDOWN, "WAL writer is closing");
      assigned = enqueue_locked(type, payload);
    }
    work_cv_.notify_one();
    if (lsn) *lsn = assigned;
    return {};
  }
  std::lock_guard io(io_mu_);
  Lsn assigned;
  {
    std::lock_guard lock(mu_);
    assigned = enqueue_locked(type, payload);
  }
  if (lsn) *lsn = assigned;
  return write_queued(options_.durability == Durability::kFsync);
}

Status WalWriter::append_durable(std::uint8_t type, std::string_view payload, Lsn* lsn) {
  Lsn assigned;
  if (Status s = append(type, payload, &assigned); !s.ok()) return s;
  if (lsn) *lsn = assigned;
  return wait_durable(assigned);
}

Status WalWriter::wait_durable(const Lsn& lsn) {
  std::unique_lock lock(mu_);
  done_cv_.wait(lock, [&] { return settled_seq_ >= lsn.seq; });
  if (auto failure = failure_of_locked(lsn.seq)) return *failure;
  return {};
}

Status WalWriter::flush() {
  std::uint64_t from = 0;
  {
    std::lock_guard lock(mu_);
    from = settled_seq_ + 1;
  }
  return flush_since(from);
}

Status WalWriter::flush_since(std::uint64_t from) {
  std::unique_lock lock(mu_);
  const std::uint64_t target = next_seq_ - 1;
  done_cv_.wait(lock, [&] { return settled_seq_ >= target; });
  for (const FailedRange& range : failed_) {
    if (range.last >= from && range.first <= target) return range.status;
  }
  return {};
}

std::optional<Status> WalWriter::failure_of_locked(std::uint64_t seq) const {
  for (auto it = failed_.rbegin(); it != failed_.rend(); ++it) {
    if (seq >= it->first && seq <= it->last) return it->status;
    if (it->last < seq) break;  // Ranges are in seq order.
  }
  return std::nullopt;
}

Status WalWriter::write_queued(bool sync) {
  std::vector<Chunk> chunks;
  std::uint64_t first_seq = 0;
  {
    std::lock_guard lock(mu_);
    chunks.swap(queue_);
    first_seq = queue_first_seq_;
    queue_first_seq_ = next_seq_;
  }
  if (chunks.empty()) return {};
  const WriteResult result = write_chunks(chunks, sync);
  {
    std::lock_guard lock(mu_);
    settle_locked(first_seq, result);
    if (result.status.ok()) settled_seq_ = chunks.back().last_seq;
  }
  done_cv_.notify_all();
  return result.status;
}

void WalWriter::settle_locked(std::uint64_t first_seq, const WriteResult& result) {
  if (result.durable_seq >= first_seq) stats_.records += result.durable_seq - first_seq + 1;
  if (result.status.ok()) return;
  // Everything not yet durable fails, including records queued while we wrote: their positions
  // assumed the failed bytes were on disk. The next write truncates back to fd_size_ first.
  const std::uint64_t fail_first = std::max(first_seq, result.durable_seq + 1);
  const std::uint64_t fail_last = next_seq_ - 1;
  if (fail_last >= fail_first) {
    if (!failed_.empty() && failed_.back().last + 1 == fail_first &&
        failed_.back().status.message() == result.status.message()) {
      failed_.back().last = fail_last;
    } else {
      failed_.push_back(FailedRange{fail_first, fail_last, result.status});
    }
    stats_.failed_records += fail_last - fail_first + 1;
  }
  queue_.clear();
  queue_first_seq_ = next_seq_;
  settled_seq_ = fail_last;
  tail_ = RecordPosition{fd_segment_, fd_size_};
  error_log_.log(spdlog::level::err, "write_failure",
                 "WAL " + options_.dir.string() + ": " + result.status.message() + "; " +
                     std::to_string(fail_last + 1 - fail_first) + " record(s) rejected");
}

WalWriter::WriteResult WalWriter::write_chunks(std::vector<Chunk>& chunks, bool sync) {
  WriteResult result;
  result.durable_seq = 0;
  if (needs_truncate_) {
    // An earlier write or sync failed part-way: cut its bytes off before writing anything new.
    if (ops_->ftruncate(fd_, static_cast<off_t>(fd_size_)) != 0 || ops_->fdatasync(fd_) != 0) {
      result.status = errno_status(errno, "truncate " + describe(RecordPosition{fd_segment_, fd_size_}) + " after an earlier error");
      return result;
    }
    needs_truncate_ = false;
  }
  std::uint64_t syncs = 0;
  for (const Chunk& chunk : chunks) {
    if (chunk.segment != fd_segment_) {
      if (Status s = create_segment(chunk.segment); !s.ok()) {
        result.status = s;
        break;
      }
    }
    std::size_t written = 0;
    while (written < chunk.bytes.size()) {
      const ssize_t n = ops_->pwrite(fd_, chunk.bytes.data() + written, chunk.bytes.size() - written,
                                     static_cast<off_t>(fd_size_ + written));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (n == 0) errno = EIO;
        needs_truncate_ = true;
        result.status = errno_status(errno, "write " + describe(RecordPosition{fd_segment_, fd_size_ + written}));
        break;
      }
      written += static_cast<std::size_t>(n);
    }
    if (!result.status.ok()) break;
    if (sync) {
      if (ops_->fdatasync(fd_) != 0) {
        needs_truncate_ = true;
        result.status = errno_status(errno, "fdatasync " + describe(RecordPosition{fd_segment_, fd_size_}));
        break;
      }
      ++syncs;
    }
    fd_size_ += chunk.bytes.size();
    result.durable_seq = chunk.last_seq;
  }
  std::lock_guard lock(mu_);
  stats_.syncs += syncs;
  return result;
}

void WalWriter::flusher_loop() {
  while (true) {
    {
      std::unique_lock lock(mu_);
      work_cv_.wait(lock, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) return;
    }
    if (options_.group_window.count() > 0) std::this_thread::sleep_for(options_.group_window);
    std::lock_guard io(io_mu_);
    write_queued(true);
  }
}

Status WalWriter::delete_segment(std::uint64_t segment) {
  std::lock_guard io(io_mu_);
  {
    std::lock_guard lock(mu_);
    if (segment >= fd_segment_ || segment >= tail_.segment) {
      return Status::error(EBUSY, "segment " + std::to_string(segment) + " is being written");
    }
  }
  const std::string name = segment_file_name(segment);
  if (::unlinkat(dir_fd_, name.c_str(), 0) != 0) {
    if (errno == ENOENT) return {};
    return errno_status(errno, "delete " + (options_.dir / name).string());
  }
  if (ops_->fsync(dir_fd_) != 0) return errno_status(errno, "fsync WAL directory " + options_.dir.string());
  return {};
}

std::uint64_t WalWriter::current_segment() const {
  std::lock_guard lock(mu_);
  return tail_.segment;
}

WalWriter::Stats WalWriter::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

}  // namespace esper::wal
