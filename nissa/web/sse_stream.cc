#include "nissa/web/sse_stream.h"

#include <algorithm>
#include <cstring>

namespace esper::nissa::web {

void SseStream::attach(std::function<void()> wake) {
  std::lock_guard lock(mu_);
  wake_ = std::move(wake);
}

void SseStream::wake_locked() {
  if (!parked_) return;
  parked_ = false;
  if (wake_) wake_();
}

bool SseStream::push(std::string_view bytes) {
  std::lock_guard lock(mu_);
  if (finished_ || dropped_ || closed_) return false;
  if (queued_.size() - sent_ + bytes.size() > max_bytes_) {
    // Fell behind: free what it holds and end it, rather than let it grow or block the publisher.
    dropped_ = true;
    queued_.clear();
    sent_ = 0;
    wake_locked();
    return false;
  }
  if (sent_ > 0 && sent_ == queued_.size()) {
    queued_.clear();
    sent_ = 0;
  }
  queued_.append(bytes);
  wake_locked();
  return true;
}

void SseStream::finish() {
  std::lock_guard lock(mu_);
  finished_ = true;
  wake_locked();
}

void SseStream::close() {
  std::lock_guard lock(mu_);
  closed_ = true;
  queued_.clear();
  sent_ = 0;
  parked_ = false;  // The connection is gone: never wake it.
  wake_ = nullptr;
}

SseStream::ReadResult SseStream::read(char* out, std::size_t max, const std::function<void()>& park) {
  std::lock_guard lock(mu_);
  if (dropped_) return {Read::kDropped};
  const std::size_t pending = queued_.size() - sent_;
  if (pending > 0 && max > 0) {
    const std::size_t n = std::min(pending, max);
    std::memcpy(out, queued_.data() + sent_, n);
    sent_ += n;
    if (sent_ == queued_.size()) {
      queued_.clear();
      sent_ = 0;
    } else if (sent_ > max_bytes_ / 2) {
      queued_.erase(0, sent_);  // Keep the buffer from growing by what was sent.
      sent_ = 0;
    }
    return {Read::kBytes, n};
  }
  if (finished_ || closed_) return {Read::kEnded};
  parked_ = true;
  if (park) park();
  return {Read::kNothingYet};
}

bool SseStream::closed() const {
  std::lock_guard lock(mu_);
  return closed_ || dropped_ || finished_;
}

bool SseStream::fell_behind() const {
  std::lock_guard lock(mu_);
  return dropped_;
}

std::size_t SseStream::buffered() const {
  std::lock_guard lock(mu_);
  return queued_.size() - sent_;
}

}  // namespace esper::nissa::web
