// The outbox and Nissa each name only their own WAL record types, numbered apart so that a record's
// type says whose WAL it is in; esper-wal, which reads both kinds of WAL, asks both registries.
#include <gtest/gtest.h>

#include <string>

#include "field_reports/outbox_records.h"
#include "field_reports/wal_record_decoding.h"
#include "nissa/store/journal_records.h"

namespace esper::field_reports {
namespace {

TEST(WalRecordTypes, TheOutboxAndNissaNumberTheirRecordsApart) {
  int outbox = 0, nissa_types = 0;
  for (int t = 0; t < 256; ++t) {
    const auto type = static_cast<std::uint8_t>(t);
    SCOPED_TRACE("type " + std::to_string(t));
    EXPECT_FALSE(is_outbox_record(type) && nissa::is_journal_record(type)) << "both registries claim it";
    EXPECT_EQ(nissa::is_journal_record(type), !nissa::journal_record_name(type).empty());
    outbox += is_outbox_record(type);
    nissa_types += nissa::is_journal_record(type);
  }
  EXPECT_EQ(outbox, 4);
  EXPECT_EQ(nissa_types, 4);
  EXPECT_FALSE(is_outbox_record(0)) << "type 0 is reserved by the WAL";
}

TEST(WalRecordTypes, EsperWalNamesEveryTypeByItsOwnersRegistry) {
  for (int t = 0; t < 256; ++t) {
    const auto type = static_cast<std::uint8_t>(t);
    SCOPED_TRACE("type " + std::to_string(t));
    if (is_outbox_record(type)) {
      EXPECT_EQ(record_type_name(type), outbox_record_name(type));
    } else if (nissa::is_journal_record(type)) {
      EXPECT_EQ(record_type_name(type), nissa::journal_record_name(type));
    } else {
      EXPECT_EQ(record_type_name(type), "unknown");
    }
  }
  EXPECT_EQ(record_type_name(to_byte(OutboxRecord::kReportAppended)), "report");
  EXPECT_EQ(record_type_name(nissa::kRecordAlertsCleared), "nissa_alerts_cleared");
}

}  // namespace
}  // namespace esper::field_reports
