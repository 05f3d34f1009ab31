#include "producers/encoded_point_queue.h"

#include <algorithm>

namespace esper::producers {

namespace {

// Spare chunks kept at most: enough for a drain's worth of packets in flight.
constexpr std::size_t kMaxSpareChunks = 16;

}  // namespace

EncodedPointQueue::EncodedPointQueue(std::size_t points_per_chunk, std::size_t bytes_per_chunk)
    : points_per_chunk_(std::max<std::size_t>(1, points_per_chunk)),
      bytes_per_chunk_(std::max<std::size_t>(1, bytes_per_chunk)) {}

EncodedPointChunk& EncodedPointQueue::open_chunk() {
  if (chunks_.empty() || chunks_.back().ends_.size() >= points_per_chunk_ ||
      chunks_.back().bytes_.size() >= bytes_per_chunk_) {
    if (spare_.empty()) {
      chunks_.emplace_back();
    } else {
      chunks_.push_back(std::move(spare_.back()));
      spare_.pop_back();
    }
  }
  return chunks_.back();
}

std::string& EncodedPointQueue::open() { return open_chunk().bytes_; }

std::size_t EncodedPointQueue::commit() {
  EncodedPointChunk& chunk = chunks_.back();
  const std::size_t begin = chunk.ends_.empty() ? 0 : chunk.ends_.back();
  const std::size_t size = chunk.bytes_.size() - begin;
  chunk.ends_.push_back(static_cast<std::uint32_t>(chunk.bytes_.size()));
  ++points_;
  bytes_ += size;
  return size;
}

void EncodedPointQueue::abandon() {
  if (chunks_.empty()) return;
  EncodedPointChunk& chunk = chunks_.back();
  chunk.bytes_.resize(chunk.ends_.empty() ? 0 : chunk.ends_.back());
}

void EncodedPointQueue::drop_oldest() {
  while (!chunks_.empty() && chunks_.front().points() == 0 && chunks_.size() > 1) {
    recycle(std::move(chunks_.front()));
    chunks_.pop_front();
  }
  if (chunks_.empty() || chunks_.front().points() == 0) return;
  EncodedPointChunk& chunk = chunks_.front();
  const std::size_t before = chunk.start();
  ++chunk.first_;
  --points_;
  bytes_ -= chunk.start() - before;
  if (chunk.points() == 0 && chunks_.size() > 1) {
    recycle(std::move(chunk));
    chunks_.pop_front();
  }
}

std::deque<EncodedPointChunk> EncodedPointQueue::take_all() {
  std::deque<EncodedPointChunk> taken;
  taken.swap(chunks_);
  // An open chunk with nothing committed (an abandoned entry) is not worth handing over.
  while (!taken.empty() && taken.back().points() == 0) {
    recycle(std::move(taken.back()));
    taken.pop_back();
  }
  points_ = 0;
  bytes_ = 0;
  return taken;
}

void EncodedPointQueue::put_back(std::deque<EncodedPointChunk> chunks) {
  for (const auto& chunk : chunks) {
    points_ += chunk.points();
    bytes_ += chunk.bytes();
  }
  // In front of the chunks queued since: the order of points is kept.
  for (auto it = chunks.rbegin(); it != chunks.rend(); ++it) chunks_.push_front(std::move(*it));
}

void EncodedPointQueue::recycle(EncodedPointChunk chunk) {
  if (spare_.size() >= kMaxSpareChunks) return;
  chunk.clear();
  spare_.push_back(std::move(chunk));
}

}  // namespace esper::producers
