// The outbox's config section: every key read, and errors that name file, key and line.
#include <gtest/gtest.h>

#include "field_reports/outbox_config.h"

namespace esper::field_reports {
namespace {

using namespace std::chrono_literals;

TEST(FieldReportsOutboxConfig, ReadsEveryKeyAndNamesFileKeyAndLineOnErrors) {
  auto root = config::parse_text(
      "wal_dir: /tmp/x\nsource: kasmina\ndurability: fsync\nsegment_size: 1MiB\nretry_cap: 2\n"
      "initial_backoff: 250ms\nmax_backoff: 4s\nmetric_prefix: kasmina.field_reports\n",
      "outbox.yaml");
  const OutboxOptions o = read_outbox_options(root);
  EXPECT_EQ(o.wal_dir, "/tmp/x");
  EXPECT_EQ(o.source, "kasmina");
  EXPECT_EQ(o.durability, wal::Durability::kFsync);
  EXPECT_EQ(o.segment_size, 1u << 20);
  EXPECT_EQ(o.retry_cap, 2u);
  EXPECT_EQ(o.initial_backoff, 250ms);
  EXPECT_EQ(o.max_backoff, 4s);
  EXPECT_EQ(o.metric_prefix, "kasmina.field_reports");

  auto bad = config::parse_text("wal_dir: /tmp/x\ndurability: sometimes\n", "outbox.yaml");
  try {
    read_outbox_options(bad);
    FAIL() << "bad durability accepted";
  } catch (const config::ConfigError& e) {
    EXPECT_EQ(e.file(), "outbox.yaml");
    EXPECT_EQ(e.key(), "durability");
    EXPECT_EQ(e.line(), 2);
  }
  auto unknown = config::parse_text("wal_dir: /tmp/x\nretry_kap: 3\n", "outbox.yaml");
  EXPECT_THROW(read_outbox_options(unknown), config::ConfigError);
}

}  // namespace
}  // namespace esper::field_reports
