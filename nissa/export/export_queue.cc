#include "nissa/export/export_queue.h"

namespace esper::nissa {

std::size_t ExportQueue::push(ExportBatch batch) {
  std::size_t shed = 0;
  {
    std::lock_guard lock(mu_);
    while (!batches_.empty() && bytes_ + batch.body.size() > max_bytes_) {
      bytes_ -= batches_.front().body.size();
      shed += batches_.front().samples;
      batches_.pop_front();
    }
    bytes_ += batch.body.size();
    batches_.push_back(std::move(batch));
  }
  ready_.notify_one();
  return shed;
}

std::optional<ExportBatch> ExportQueue::pop() {
  std::unique_lock lock(mu_);
  ready_.wait(lock, [&] { return stopped_ || !batches_.empty(); });
  if (stopped_) return std::nullopt;
  ExportBatch batch = std::move(batches_.front());
  batches_.pop_front();
  bytes_ -= batch.body.size();
  return batch;
}

void ExportQueue::stop() {
  {
    std::lock_guard lock(mu_);
    stopped_ = true;
  }
  ready_.notify_all();
}

std::size_t ExportQueue::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::size_t ExportQueue::batches() const {
  std::lock_guard lock(mu_);
  return batches_.size();
}

}  // namespace esper::nissa
