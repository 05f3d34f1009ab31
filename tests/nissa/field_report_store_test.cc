#include "nissa/store/field_report_store.h"

#include <gtest/gtest.h>

namespace esper::nissa {
namespace {

StoredFieldReport report(const std::string& id, std::uint64_t segment) {
  StoredFieldReport stored;
  stored.source = "tamiyo";
  stored.report.set_report_id(id);
  stored.wal_segment = segment;
  return stored;
}

TEST(FieldReportStore, ForgettingOldSegmentsDropsTheirReportsAndKeepsTheRestFindable) {
  FieldReportStore store;
  ASSERT_TRUE(store.insert(report("a", 1)));
  ASSERT_TRUE(store.insert(report("b", 1)));
  ASSERT_TRUE(store.insert(report("c", 2)));
  ASSERT_TRUE(store.insert(report("d", 3)));
  EXPECT_FALSE(store.insert(report("c", 3)));  // A retry: never stored twice.

  EXPECT_EQ(store.forget_through_segment(1), 2u);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.find("a"), nullptr);
  EXPECT_FALSE(store.contains("b"));
  ASSERT_NE(store.find("c"), nullptr);
  EXPECT_EQ(store.find("c")->report.report_id(), "c");
  ASSERT_NE(store.find("d"), nullptr);
  EXPECT_EQ(store.find("d")->wal_segment, 3u);
  const auto listed = store.list(0, 10);
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0]->report.report_id(), "c");

  // New reports after forgetting are found by id too (positions keep counting).
  ASSERT_TRUE(store.insert(report("e", 4)));
  ASSERT_NE(store.find("e"), nullptr);
  EXPECT_EQ(store.find("e")->report.report_id(), "e");
  // A forgotten id may be stored again (its retry arrived after the retention period).
  EXPECT_TRUE(store.insert(report("a", 4)));
  EXPECT_EQ(store.forget_through_segment(3), 2u);
  EXPECT_EQ(store.size(), 2u);
  EXPECT_EQ(store.forget_through_segment(2), 0u);
}

}  // namespace
}  // namespace esper::nissa
