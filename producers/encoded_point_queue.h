// The telemetry buffer's metric points, held as the bytes they will have in a TelemetryPacket.
//
// Points are appended to chunks; a chunk closes at `points_per_chunk` points or `bytes_per_chunk`
// bytes, so each chunk is the metrics run of one packet, sent as it is. Dropping the oldest point
// moves a chunk's start past it. Drained chunks come back (clear, their memory kept) for reuse,
// so a producer in steady state allocates nothing per point.
#ifndef ESPER_PRODUCERS_ENCODED_POINT_QUEUE_H_
#define ESPER_PRODUCERS_ENCODED_POINT_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

namespace esper::producers {

// A run of encoded `metrics` entries.
class EncodedPointChunk {
 public:
  std::size_t points() const { return ends_.size() - first_; }
  std::size_t bytes() const { return bytes_.size() - start(); }
  // The entries, oldest first: the bytes of a packet's repeated `metrics` field.
  std::string_view entries() const { return std::string_view(bytes_).substr(start()); }

 private:
  friend class EncodedPointQueue;
  std::size_t start() const { return first_ == 0 ? 0 : ends_[first_ - 1]; }
  void clear() {
    bytes_.clear();
    ends_.clear();
    first_ = 0;
  }

  std::string bytes_;
  std::vector<std::uint32_t> ends_;  // End offset of each entry in bytes_.
  std::size_t first_ = 0;            // Entries before it were dropped.
};

class EncodedPointQueue {
 public:
  EncodedPointQueue(std::size_t points_per_chunk, std::size_t bytes_per_chunk);

  // The string the next entry is appended to (the open chunk's); then commit() it. Appending
  // nothing and not committing is allowed (an entry refused after encoding is cut off again by
  // abandon()).
  std::string& open();
  // Counts what was appended to open() since the last commit as one entry; returns its size.
  std::size_t commit();
  // Cuts what was appended to open() since the last commit.
  void abandon();

  // Drops the oldest entry (nothing when empty).
  void drop_oldest();

  // Hands over every chunk, oldest first; the queue is empty after.
  std::deque<EncodedPointChunk> take_all();
  // Puts chunks not sent back in front of what was queued since, oldest first.
  void put_back(std::deque<EncodedPointChunk> chunks);
  // Gives a sent chunk's memory back for reuse.
  void recycle(EncodedPointChunk chunk);

  std::size_t points() const { return points_; }
  std::size_t bytes() const { return bytes_; }

 private:
  EncodedPointChunk& open_chunk();

  std::size_t points_per_chunk_;
  std::size_t bytes_per_chunk_;
  std::deque<EncodedPointChunk> chunks_;  // The last one is open while it has room.
  std::vector<EncodedPointChunk> spare_;  // Cleared chunks, their capacity kept.
  std::size_t points_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace esper::producers

#endif  // ESPER_PRODUCERS_ENCODED_POINT_QUEUE_H_
