#include "nissa/web/sse_hub.h"

#include <algorithm>

namespace esper::nissa::web {

std::string sse_message(std::string_view event, std::string_view data) {
  std::string out = "event: " + std::string(event) + "\n";
  std::size_t start = 0;
  while (true) {
    const std::size_t nl = data.find('\n', start);
    out += "data: ";
    out += data.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    out += "\n";
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  out += "\n";
  return out;
}

std::string sse_comment(std::string_view text) { return ": " + std::string(text) + "\n\n"; }

void SseHub::prune_locked() {
  std::erase_if(streams_, [](const std::shared_ptr<SseStream>& s) { return s->closed(); });
}

std::shared_ptr<SseStream> SseHub::open(std::string_view greeting) {
  std::lock_guard lock(mu_);
  prune_locked();
  if (streams_.size() >= max_streams_) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  auto stream = std::make_shared<SseStream>(max_buffered_bytes_);
  stream->push(greeting);
  streams_.push_back(stream);
  return stream;
}

void SseHub::broadcast(std::string_view bytes) {
  std::lock_guard lock(mu_);
  for (const auto& stream : streams_) {
    if (!stream->push(bytes) && stream->fell_behind()) dropped_.fetch_add(1, std::memory_order_relaxed);
  }
  prune_locked();
}

void SseHub::finish_all() {
  std::lock_guard lock(mu_);
  for (const auto& stream : streams_) stream->finish();
  streams_.clear();
}

std::size_t SseHub::open_streams() {
  std::lock_guard lock(mu_);
  prune_locked();
  return streams_.size();
}

}  // namespace esper::nissa::web
