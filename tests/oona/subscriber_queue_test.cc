#include "oona/subscriber_queue.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

namespace esper::oona {
namespace {

QueuedMessage item(proto::Severity severity, const std::string& name, bool droppable = true,
                   std::size_t payload_bytes = 10) {
  return QueuedMessage{zmq::message_t(name), zmq::message_t(std::string(payload_bytes, 'x')),
                       severity, droppable, "src"};
}

std::string name_of(const QueuedMessage& m) { return std::string(m.topic.data<char>(), m.topic.size()); }

std::vector<std::string> drain(SubscriberQueue& q) {
  std::vector<std::string> out;
  while (!q.empty()) {
    out.push_back(name_of(q.front()));
    q.pop_front();
  }
  return out;
}

TEST(SubscriberQueue, DropsLowestSeverityFirstThenOldestAndKeepsFifoOrder) {
  SubscriberQueue q(3, 1 << 20);
  std::vector<std::string> dropped;
  auto on_drop = [&](const QueuedMessage& m, ShedReason) { dropped.push_back(name_of(m)); };
  q.push(item(proto::SEVERITY_INFO, "info1"), on_drop);
  q.push(item(proto::SEVERITY_DEBUG, "debug1"), on_drop);
  q.push(item(proto::SEVERITY_DEBUG, "debug2"), on_drop);
  q.push(item(proto::SEVERITY_WARNING, "warn1"), on_drop);  // Evicts debug1 (lowest, oldest).
  q.push(item(proto::SEVERITY_INFO, "info2"), on_drop);     // Evicts debug2.
  q.push(item(proto::SEVERITY_DEBUG, "debug3"), on_drop);   // Less severe than all: itself.
  q.push(item(proto::SEVERITY_INFO, "info3"), on_drop);     // Evicts info1 (oldest INFO).
  EXPECT_EQ(dropped, (std::vector<std::string>{"debug1", "debug2", "debug3", "info1"}));
  EXPECT_EQ(drain(q), (std::vector<std::string>{"warn1", "info2", "info3"}));
}

TEST(SubscriberQueue, ShedsReliableItemsLastOldestFirst) {
  SubscriberQueue q(2, 1 << 20);
  std::vector<std::string> dropped;
  auto on_drop = [&](const QueuedMessage& m, ShedReason) { dropped.push_back(name_of(m)); };
  q.push(item(proto::SEVERITY_INFO, "ack1", false), on_drop);
  q.push(item(proto::SEVERITY_CRITICAL, "crit", true), on_drop);
  q.push(item(proto::SEVERITY_DEBUG, "ack2", false), on_drop);     // Evicts crit, the only droppable.
  q.push(item(proto::SEVERITY_CRITICAL, "crit2", true), on_drop);  // Only reliable queued: itself.
  q.push(item(proto::SEVERITY_INFO, "ack3", false), on_drop);      // Nothing else: the oldest reliable.
  EXPECT_EQ(dropped, (std::vector<std::string>{"crit", "crit2", "ack1"}));
  EXPECT_EQ(q.reliable_size(), 2u);
  EXPECT_EQ(drain(q), (std::vector<std::string>{"ack2", "ack3"}));
}

TEST(SubscriberQueue, NamesTheBoundThatWasFull) {
  SubscriberQueue by_count(1, 1 << 20);
  SubscriberQueue by_bytes(100, 50);
  std::vector<ShedReason> reasons;
  auto on_drop = [&](const QueuedMessage&, ShedReason reason) { reasons.push_back(reason); };
  by_count.push(item(proto::SEVERITY_INFO, "a"), on_drop);
  by_count.push(item(proto::SEVERITY_INFO, "b"), on_drop);
  by_bytes.push(item(proto::SEVERITY_INFO, "c", true, 40), on_drop);
  by_bytes.push(item(proto::SEVERITY_INFO, "d", true, 40), on_drop);
  by_bytes.push(item(proto::SEVERITY_INFO, "too-big", false, 60), on_drop);  // Larger than the bound.
  // b evicts a; d evicts c; too-big evicts d and then does not fit on its own.
  EXPECT_EQ(reasons, (std::vector<ShedReason>{ShedReason::kQueueFullMessages, ShedReason::kQueueFullBytes,
                                              ShedReason::kQueueFullBytes, ShedReason::kQueueFullBytes}));
  EXPECT_EQ(shed_reason_name(ShedReason::kQueueFullMessages), "queue_full_messages");
  EXPECT_EQ(shed_reason_name(ShedReason::kQueueFullBytes), "queue_full_bytes");
  EXPECT_EQ(drain(by_bytes), std::vector<std::string>{});
}

TEST(SubscriberQueue, SharedItemsReferenceTheSameFrames) {
  QueuedMessage original = item(proto::SEVERITY_INFO, "topic", true, 4096);
  QueuedMessage second = original.share();
  EXPECT_EQ(second.payload.data(), original.payload.data()) << "a large frame must be shared, not copied";
  EXPECT_EQ(name_of(second), "topic");
  EXPECT_EQ(second.source, "src");
}

TEST(SubscriberQueue, ReliableItemsLeaveBeforeATelemetryBacklog) {
  SubscriberQueue q(100, 1 << 20);
  auto on_drop = [](const QueuedMessage&, ShedReason) { FAIL() << "nothing should be dropped"; };
  q.push(item(proto::SEVERITY_INFO, "t1"), on_drop);
  q.push(item(proto::SEVERITY_WARNING, "t2"), on_drop);
  q.push(item(proto::SEVERITY_INFO, "ack1", false), on_drop);
  q.push(item(proto::SEVERITY_INFO, "t3"), on_drop);
  q.push(item(proto::SEVERITY_INFO, "report1", false), on_drop);
  EXPECT_EQ(drain(q), (std::vector<std::string>{"ack1", "report1", "t1", "t2", "t3"}));
  // Eviction still works on what is left after reliable items were served.
  SubscriberQueue small(2, 1 << 20);
  std::vector<std::string> dropped;
  auto record = [&](const QueuedMessage& m, ShedReason) { dropped.push_back(name_of(m)); };
  small.push(item(proto::SEVERITY_DEBUG, "d1"), record);
  small.push(item(proto::SEVERITY_INFO, "ack", false), record);
  EXPECT_EQ(name_of(small.front()), "ack");
  small.pop_front();
  small.push(item(proto::SEVERITY_INFO, "i1"), record);
  small.push(item(proto::SEVERITY_INFO, "i2"), record);  // Evicts d1.
  EXPECT_EQ(dropped, std::vector<std::string>{"d1"});
  EXPECT_EQ(drain(small), (std::vector<std::string>{"i1", "i2"}));
}

TEST(SubscriberQueue, BoundsBytesToo) {
  SubscriberQueue q(100, 100);
  std::vector<std::string> dropped;
  auto on_drop = [&](const QueuedMessage& m, ShedReason) { dropped.push_back(name_of(m)); };
  q.push(item(proto::SEVERITY_INFO, "a", true, 40), on_drop);
  q.push(item(proto::SEVERITY_INFO, "b", true, 40), on_drop);
  q.push(item(proto::SEVERITY_WARNING, "c", true, 90), on_drop);  // Needs both gone.
  EXPECT_EQ(dropped, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(q.bytes(), 91u);
  EXPECT_EQ(drain(q), (std::vector<std::string>{"c"}));
  EXPECT_EQ(q.bytes(), 0u);
}

// Sending an item moves its frames out (zmq send empties a message_t). The byte bound must count
// what is queued, not what the sent items' husks still say: once more than max_bytes had passed
// through, a queue that did otherwise believed itself full for ever and shed everything.
TEST(SubscriberQueue, TakenItemsNoLongerCountAgainstTheByteBoundOnceSent) {
  SubscriberQueue q(100, 100);
  std::size_t shed = 0;
  for (int i = 0; i < 50; ++i) {
    q.push(item(proto::SEVERITY_INFO, "m", true, 40), [&](const QueuedMessage&, ShedReason) { ++shed; });
    QueuedMessage taken = q.take_front();
    zmq::message_t sent(std::move(taken.payload));  // What sending does to the item's frames.
    EXPECT_EQ(q.bytes(), 0u);
  }
  EXPECT_EQ(shed, 0u);
}

// The shedding policy at the top of subscriber_queue.h, written as plainly as possible: items in
// arrival order, each decision a scan.
class ReferenceQueue {
 public:
  struct Item {
    std::string name;
    int severity;
    bool droppable;
    std::size_t bytes;
  };
  ReferenceQueue(std::size_t max_messages, std::size_t max_bytes) : max_messages_(max_messages), max_bytes_(max_bytes) {}

  void push(const Item& item, std::vector<std::string>& shed) {
    auto fits = [&] { return items_.size() + 1 <= max_messages_ && bytes() + item.bytes <= max_bytes_; };
    while (!fits() && droppables() > 0) {
      int lowest = 99;
      for (const auto& i : items_) if (i.droppable) lowest = std::min(lowest, i.severity);
      if (item.droppable && item.severity < lowest) {
        shed.push_back(item.name);
        return;
      }
      const auto victim = std::find_if(items_.begin(), items_.end(),
                                       [&](const Item& i) { return i.droppable && i.severity == lowest; });
      shed.push_back(victim->name);
      items_.erase(victim);
    }
    if (!fits() && item.droppable) {
      shed.push_back(item.name);
      return;
    }
    while (!fits() && !items_.empty()) {  // Only reliable items are left.
      shed.push_back(items_.front().name);
      items_.erase(items_.begin());
    }
    if (!fits()) {
      shed.push_back(item.name);
      return;
    }
    items_.push_back(item);
  }
  std::string pop() {
    auto it = std::find_if(items_.begin(), items_.end(), [](const Item& i) { return !i.droppable; });
    if (it == items_.end()) it = items_.begin();
    std::string name = it->name;
    items_.erase(it);
    return name;
  }
  bool empty() const { return items_.empty(); }
  std::size_t size() const { return items_.size(); }
  std::size_t bytes() const {
    std::size_t n = 0;
    for (const auto& i : items_) n += i.bytes;
    return n;
  }

 private:
  std::size_t droppables() const {
    return static_cast<std::size_t>(std::count_if(items_.begin(), items_.end(), [](const Item& i) { return i.droppable; }));
  }
  std::size_t max_messages_, max_bytes_;
  std::vector<Item> items_;
};

// Random pushes of every severity, reliable or not, of varied sizes, with rare reads (as a stuck or
// slow subscriber has): the queue sheds, serves and counts exactly as the plain policy does, also
// after shedding from the middle many times over (the queue reuses no slot until it compacts).
TEST(SubscriberQueue, ShedsAndServesExactlyAsThePolicySaysUnderLongRandomLoads) {
  for (const unsigned seed : {1u, 2u, 3u}) {
    std::mt19937 rng(seed);
    SubscriberQueue q(8, 200);
    ReferenceQueue ref(8, 200);
    std::vector<std::string> shed, ref_shed;
    for (int op = 0; op < 20000; ++op) {
      if (rng() % 10 == 0 && !ref.empty()) {
        ASSERT_FALSE(q.empty());
        QueuedMessage taken = q.take_front();
        ASSERT_EQ(name_of(taken), ref.pop()) << "seed " << seed << " op " << op;
        continue;
      }
      const auto severity = static_cast<proto::Severity>(1 + rng() % 5);
      const bool droppable = rng() % 8 != 0;
      const std::size_t payload = 5 + rng() % 40;
      const std::string name = std::to_string(op);
      q.push(item(severity, name, droppable, payload),
             [&](const QueuedMessage& m, ShedReason) { shed.push_back(name_of(m)); });
      ref.push({name, static_cast<int>(severity), droppable, name.size() + payload}, ref_shed);
      ASSERT_EQ(shed, ref_shed) << "seed " << seed << " op " << op;
      ASSERT_EQ(q.size(), ref.size());
      ASSERT_EQ(q.bytes(), ref.bytes());
    }
    while (!ref.empty()) ASSERT_EQ(name_of(q.take_front()), ref.pop());
    EXPECT_TRUE(q.empty());
    EXPECT_EQ(q.bytes(), 0u);
  }
}

}  // namespace
}  // namespace esper::oona
