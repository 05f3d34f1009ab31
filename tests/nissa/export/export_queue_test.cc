#include "nissa/export/export_queue.h"

#include <gtest/gtest.h>

#include <thread>

namespace esper::nissa {
namespace {

ExportBatch batch(std::size_t bytes, std::size_t samples, char tag = 'x') {
  return ExportBatch{std::string(bytes, tag), samples, std::chrono::steady_clock::now()};
}

TEST(ExportQueueTest, KeepsOrderAndCountsBytes) {
  ExportQueue q(1000);
  EXPECT_EQ(q.push(batch(100, 1, 'a')), 0u);
  EXPECT_EQ(q.push(batch(200, 2, 'b')), 0u);
  EXPECT_EQ(q.bytes(), 300u);
  EXPECT_EQ(q.pop()->body[0], 'a');
  EXPECT_EQ(q.pop()->body[0], 'b');
  EXPECT_EQ(q.bytes(), 0u);
}

TEST(ExportQueueTest, AFullQueueShedsTheOldestAndSaysHowManySamples) {
  ExportQueue q(1000);
  q.push(batch(400, 10, 'a'));
  q.push(batch(400, 20, 'b'));
  EXPECT_EQ(q.push(batch(400, 30, 'c')), 10u);  // 'a' goes.
  EXPECT_EQ(q.bytes(), 800u);
  EXPECT_EQ(q.batches(), 2u);
  EXPECT_EQ(q.pop()->body[0], 'b');
}

TEST(ExportQueueTest, ABatchLargerThanTheBoundIsKeptAlone) {
  ExportQueue q(100);
  q.push(batch(50, 1, 'a'));
  EXPECT_EQ(q.push(batch(500, 5, 'b')), 1u);
  EXPECT_EQ(q.batches(), 1u);
  EXPECT_EQ(q.pop()->body[0], 'b');
}

TEST(ExportQueueTest, StopWakesAWaitingPop) {
  ExportQueue q(100);
  std::thread stopper([&] { q.stop(); });
  EXPECT_FALSE(q.pop().has_value());
  stopper.join();
}

}  // namespace
}  // namespace esper::nissa
