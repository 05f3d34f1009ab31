// The dashboard's live streams stay bounded: a reader gets what was queued in order and is parked
// (and woken exactly once) when nothing is; one that falls behind is dropped and frees its buffer;
// the hub refuses streams beyond its limit and a dropped stream never delays the others.
#include "nissa/web/sse_stream.h"

#include <gtest/gtest.h>

#include <string>

#include "nissa/web/sse_hub.h"

namespace esper::nissa::web {
namespace {

std::string read_all(SseStream& s, int* parks = nullptr) {
  std::string out;
  char buf[7];
  while (true) {
    const auto r = s.read(buf, sizeof buf, [&] {
      if (parks) ++*parks;
    });
    if (r.what != SseStream::Read::kBytes) break;
    out.append(buf, r.bytes);
  }
  return out;
}

TEST(SseStreamTest, AReaderGetsWhatWasQueuedInOrderInPiecesOfAnySize) {
  SseStream s(1024);
  ASSERT_TRUE(s.push("event: a\ndata: 1\n\n"));
  ASSERT_TRUE(s.push("event: b\ndata: 2\n\n"));
  EXPECT_EQ(read_all(s), "event: a\ndata: 1\n\nevent: b\ndata: 2\n\n");
  EXPECT_EQ(s.buffered(), 0u);
}

TEST(SseStreamTest, AnEmptyStreamParksItsReaderAndTheNextPushWakesItOnce) {
  SseStream s(1024);
  int wakes = 0;
  s.attach([&] { ++wakes; });
  int parks = 0;
  EXPECT_EQ(read_all(s, &parks), "");
  EXPECT_EQ(parks, 1);
  EXPECT_EQ(wakes, 0) << "woken before anything arrived";
  s.push("x");
  s.push("y");  // Not parked any more: no second wake.
  EXPECT_EQ(wakes, 1);
  EXPECT_EQ(read_all(s), "xy");
}

TEST(SseStreamTest, AReaderThatFallsBehindIsDroppedAndItsBufferFreed) {
  SseStream s(100);
  EXPECT_TRUE(s.push(std::string(60, 'a')));
  EXPECT_FALSE(s.push(std::string(60, 'b'))) << "a push past the bound must fail";
  EXPECT_TRUE(s.fell_behind());
  EXPECT_TRUE(s.closed());
  EXPECT_EQ(s.buffered(), 0u);
  char buf[16];
  EXPECT_EQ(s.read(buf, sizeof buf, {}).what, SseStream::Read::kDropped);
  EXPECT_FALSE(s.push("c")) << "a dropped stream takes nothing more";
}

TEST(SseStreamTest, AReaderThatKeepsUpIsNeverDroppedWhateverTheTotal) {
  SseStream s(100);
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(s.push(std::string(60, 'a'))) << "push " << i;
    ASSERT_EQ(read_all(s).size(), 60u);
  }
}

TEST(SseStreamTest, FinishEndsAfterWhatIsQueuedAndCloseForgetsTheWaker) {
  SseStream s(1024);
  int wakes = 0;
  s.attach([&] { ++wakes; });
  s.push("last");
  s.finish();
  char buf[16];
  auto r = s.read(buf, sizeof buf, {});
  ASSERT_EQ(r.what, SseStream::Read::kBytes);
  EXPECT_EQ(std::string(buf, r.bytes), "last");
  EXPECT_EQ(s.read(buf, sizeof buf, {}).what, SseStream::Read::kEnded);

  SseStream gone(1024);
  gone.attach([&] { ++wakes; });
  int parks = 0;
  read_all(gone, &parks);
  gone.close();  // The connection went while parked: a later push must not touch it.
  EXPECT_FALSE(gone.push("late"));
  EXPECT_EQ(wakes, 0);
}

TEST(SseHubTest, MessagesAreFramedOneDataLinePerLine) {
  EXPECT_EQ(sse_message("events", "{\"a\":1}"), "event: events\ndata: {\"a\":1}\n\n");
  EXPECT_EQ(sse_message("x", "1\n2"), "event: x\ndata: 1\ndata: 2\n\n");
  EXPECT_EQ(sse_comment("keep-alive"), ": keep-alive\n\n");
}

TEST(SseHubTest, StreamsBeyondTheLimitAreRefusedUntilOneCloses) {
  SseHub hub(2, 1024);
  auto a = hub.open("hi");
  auto b = hub.open("hi");
  ASSERT_TRUE(a && b);
  EXPECT_EQ(hub.open("hi"), nullptr);
  EXPECT_EQ(hub.refused(), 1u);
  a->close();
  EXPECT_NE(hub.open("hi"), nullptr) << "a closed stream must free its place";
}

TEST(SseHubTest, AStuckReaderIsDroppedWhileTheOthersGetEverything) {
  SseHub hub(4, 64);
  auto stuck = hub.open("");
  auto reader = hub.open("");
  std::string got;
  for (int i = 0; i < 20; ++i) {
    hub.broadcast("0123456789");
    got += read_all(*reader);
  }
  EXPECT_EQ(got.size(), 200u);
  EXPECT_TRUE(stuck->fell_behind());
  EXPECT_EQ(hub.dropped(), 1u);
  EXPECT_EQ(hub.open_streams(), 1u);
}

}  // namespace
}  // namespace esper::nissa::web
