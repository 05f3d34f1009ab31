#include "oona/egress_batch.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <utility>

#include "proto/wire_format.h"

namespace esper::oona::egress {
namespace {

// A batch's first buffer: most batches of a busy bus fit, and it stays below malloc's mmap threshold.
constexpr std::size_t kInitialBytes = 16 << 10;

// A size of up to 5 bytes (records are far below 4 GiB), within what is left.
bool read_size(std::string_view& in, std::size_t& out) {
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 5 && i < in.size(); ++i) {
    const auto byte = static_cast<std::uint8_t>(in[i]);
    value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
    if (byte < 0x80) {
      in.remove_prefix(i + 1);
      if (value > in.size()) return false;
      out = static_cast<std::size_t>(value);
      return true;
    }
  }
  return false;
}

}  // namespace

std::size_t batch_record_bytes(std::size_t topic_bytes, std::size_t envelope_bytes) {
  return proto::wire::varint_size(topic_bytes) + topic_bytes + proto::wire::varint_size(envelope_bytes) + envelope_bytes;
}

BatchBuilder::~BatchBuilder() { std::free(records_); }

BatchBuilder::BatchBuilder(BatchBuilder&& other) noexcept
    : records_(std::exchange(other.records_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      capacity_(std::exchange(other.capacity_, 0)),
      count_(std::exchange(other.count_, 0)) {}

BatchBuilder& BatchBuilder::operator=(BatchBuilder&& other) noexcept {
  if (this != &other) {
    std::free(records_);
    records_ = std::exchange(other.records_, nullptr);
    size_ = std::exchange(other.size_, 0);
    capacity_ = std::exchange(other.capacity_, 0);
    count_ = std::exchange(other.count_, 0);
  }
  return *this;
}

void BatchBuilder::append(std::string_view topic, std::string_view envelope) {
  const std::size_t record = batch_record_bytes(topic.size(), envelope.size());
  if (size_ + record > capacity_) {
    const std::size_t capacity = std::max({2 * capacity_, size_ + record, kInitialBytes});
    char* grown = static_cast<char*>(std::realloc(records_, capacity));
    if (grown == nullptr) throw std::bad_alloc();
    records_ = grown;
    capacity_ = capacity;
  }
  char* p = records_ + size_;
  p = proto::wire::put_varint(p, topic.size());
  p = proto::wire::put_bytes(p, topic);
  p = proto::wire::put_varint(p, envelope.size());
  p = proto::wire::put_bytes(p, envelope);
  size_ = static_cast<std::size_t>(p - records_);
  ++count_;
}

std::pair<zmq::message_t, zmq::message_t> BatchBuilder::take_frames() {
  zmq::message_t count(std::to_string(count_));
  zmq::message_t records;
  if (records_ != nullptr) records = zmq::message_t(records_, size_, [](void* data, void*) { std::free(data); });
  records_ = nullptr;
  size_ = capacity_ = count_ = 0;
  return {std::move(count), std::move(records)};
}

bool next_batch_record(std::string_view& records, std::string_view& topic, std::string_view& envelope) {
  std::string_view in = records;
  std::size_t size = 0;
  if (!read_size(in, size)) return false;
  topic = in.substr(0, size);
  in.remove_prefix(size);
  if (!read_size(in, size)) return false;
  envelope = in.substr(0, size);
  in.remove_prefix(size);
  records = in;
  return true;
}

}  // namespace esper::oona::egress
