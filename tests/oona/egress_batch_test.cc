// The BATCH message and HELLO/2 of the egress protocol (oona/egress_batch.h,
// oona/egress_protocol.h): what Oona builds a client reads back, byte for byte; what is not a
// batch or a hello is refused, never half-read.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "oona/egress_batch.h"
#include "oona/egress_protocol.h"

namespace esper::oona::egress {
namespace {

std::string text(const zmq::message_t& frame) { return std::string(frame.data<char>(), frame.size()); }

// The four frames of a BATCH built from `records`, as a client receives them.
std::vector<std::string> batch_of(const std::vector<std::pair<std::string, std::string>>& records) {
  BatchBuilder builder;
  for (const auto& [topic, envelope] : records) builder.append(topic, envelope);
  auto [count, bytes] = builder.take_frames();
  EXPECT_TRUE(builder.empty());
  EXPECT_EQ(builder.bytes(), 0u);
  return {"", std::string(kBatchKind), text(count), text(bytes)};
}

std::vector<std::string_view> views(const std::vector<std::string>& frames) {
  return {frames.begin(), frames.end()};
}

TEST(EgressBatch, RecordsComeBackAsBuiltWhateverTheirSizes) {
  // Sizes around the varint boundaries (127/128 bytes, 16383/16384) and an empty envelope.
  const std::vector<std::pair<std::string, std::string>> records{
      {"normal.telemetry.info.a", std::string(127, 'x')},
      {"normal.telemetry.info.b", std::string(128, '\0')},
      {"reliable.field_report.info.c", ""},
      {std::string(200, 't'), std::string(16384, 'y')},
      {"normal.event.debug.d", std::string(16383, 'z')},
  };
  BatchBuilder sized;
  std::size_t expected_bytes = 0;
  for (const auto& [topic, envelope] : records) {
    sized.append(topic, envelope);
    expected_bytes += batch_record_bytes(topic.size(), envelope.size());
  }
  EXPECT_EQ(sized.bytes(), expected_bytes);
  EXPECT_EQ(sized.count(), records.size());

  const auto frames = batch_of(records);
  const auto batch = parse_batch(views(frames));
  ASSERT_TRUE(batch.has_value());
  EXPECT_EQ(batch->count, records.size());
  EXPECT_EQ(batch->records.size(), expected_bytes);
  std::string_view rest = batch->records;
  for (const auto& [topic, envelope] : records) {
    std::string_view t;
    std::string_view e;
    ASSERT_TRUE(next_batch_record(rest, t, e));
    EXPECT_EQ(t, topic);
    EXPECT_EQ(e, envelope);
  }
  EXPECT_TRUE(rest.empty());
}

TEST(EgressBatch, ABuilderIsReusableAfterItsFramesAreTaken) {
  BatchBuilder builder;
  builder.append("t1", "e1");
  builder.append("t2", "e2");
  auto [count1, records1] = builder.take_frames();
  builder.append("t3", "e3");
  auto [count2, records2] = builder.take_frames();
  EXPECT_EQ(text(count1), "2");
  EXPECT_EQ(text(count2), "1");
  std::string_view rest(records2.data<char>(), records2.size());
  std::string_view t;
  std::string_view e;
  ASSERT_TRUE(next_batch_record(rest, t, e));
  EXPECT_EQ(t, "t3");
  EXPECT_EQ(e, "e3");
  EXPECT_TRUE(rest.empty());
  EXPECT_EQ(text(records1).size(), 2 * batch_record_bytes(2, 2));  // The first buffer is still whole.
}

TEST(EgressBatch, TruncatedOrLyingRecordsAreRefusedNotOverread) {
  const auto frames = batch_of({{"topic", "envelope"}});
  const std::string whole = frames[3];
  for (std::size_t cut = 0; cut < whole.size(); ++cut) {
    std::string_view rest(whole.data(), cut);
    std::string_view t;
    std::string_view e;
    EXPECT_FALSE(next_batch_record(rest, t, e)) << "cut at " << cut;
  }
  // A size that claims more than is there, and a varint that never ends.
  for (const std::string& bad : {std::string("\x05" "ab", 3), std::string("\x01" "a" "\x7f" "b", 4),
                                std::string(6, '\xff'), std::string("\x80\x80\x80\x80\x80\x01", 6)}) {
    std::string_view rest = bad;
    std::string_view t;
    std::string_view e;
    EXPECT_FALSE(next_batch_record(rest, t, e));
  }
}

TEST(EgressBatch, OnlyTheFourFramesOfABatchParseAsOne) {
  const auto good = batch_of({{"t", "e"}});
  ASSERT_TRUE(parse_batch(views(good)));
  auto wrong_kind = good;
  wrong_kind[1] = "dropped";
  auto not_notice = good;
  not_notice[0] = "normal.telemetry.info.x";
  auto bad_count = good;
  bad_count[2] = "1x";
  auto negative = good;
  negative[2] = "-1";
  auto empty_count = good;
  empty_count[2] = "";
  auto three = good;
  three.pop_back();
  auto five = good;
  five.push_back("extra");
  for (const auto& frames : {wrong_kind, not_notice, bad_count, negative, empty_count, three, five}) {
    EXPECT_FALSE(parse_batch(views(frames)));
  }
}

TEST(EgressHello, BatchBytesTravelInHello2AndHello1StillParses) {
  const Hello batching{.name = "nissa", .credit_window = 500, .consumed = 42, .prefixes = {"normal.", "reliable."},
                       .batch_bytes = 65536};
  const auto frames = hello_frames(batching);
  ASSERT_EQ(frames[0], kBatchingHelloMarker);
  const std::vector<std::string_view> v(frames.begin(), frames.end());
  const auto parsed = parse_hello(v);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->name, "nissa");
  EXPECT_EQ(parsed->credit_window, 500u);
  EXPECT_EQ(parsed->consumed, 42u);
  EXPECT_EQ(parsed->batch_bytes, 65536u);
  EXPECT_EQ(parsed->prefixes, batching.prefixes);

  // A client that takes no batches says HELLO/1, exactly as before batches existed.
  const auto old = hello_frames(Hello{.name = "tail", .credit_window = 10, .consumed = 0, .prefixes = {""}});
  EXPECT_EQ(old, (std::vector<std::string>{"esper-hello/1", "tail", "10", "0", ""}));
  const std::vector<std::string_view> ov(old.begin(), old.end());
  const auto parsed_old = parse_hello(ov);
  ASSERT_TRUE(parsed_old);
  EXPECT_EQ(parsed_old->batch_bytes, 0u);
  EXPECT_EQ(parsed_old->prefixes, std::vector<std::string>{""});

  // HELLO/2 without its batch bytes, or with a bad number there, is not a HELLO.
  for (const std::vector<std::string_view>& bad : {std::vector<std::string_view>{"esper-hello/2", "n", "10", "0"},
                                                  std::vector<std::string_view>{"esper-hello/2", "n", "10", "0", "x"},
                                                  std::vector<std::string_view>{"esper-hello/2", "n", "10", "0", "-5"},
                                                  std::vector<std::string_view>{"esper-hello/3", "n", "10", "0", "5"}}) {
    EXPECT_FALSE(parse_hello(bad));
  }
}

}  // namespace
}  // namespace esper::oona::egress
