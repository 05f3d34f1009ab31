#include "field_reports/outbox_config.h"

namespace esper::field_reports {

OutboxOptions read_outbox_options(config::Section& section) {
  OutboxOptions o;
  o.wal_dir = section.required<std::string>("wal_dir");
  o.source = section.get<std::string>("source", o.source);
  if (o.source.empty()) throw section.error("source", "must not be empty");
  const std::string durability = section.get<std::string>("durability", "group");
  const auto parsed = wal::parse_durability(durability);
  if (!parsed) throw section.error("durability", "must be fsync, group or none, not \"" + durability + "\"");
  o.durability = *parsed;
  o.segment_size = section.get("segment_size", config::ByteSize{o.segment_size}).bytes;
  if (o.segment_size < 4096) throw section.error("segment_size", "must be at least 4KiB");
  o.retry_cap = section.get("retry_cap", o.retry_cap);
  o.initial_backoff = section.get("initial_backoff", o.initial_backoff);
  o.max_backoff = section.get("max_backoff", o.max_backoff);
  if (o.initial_backoff.count() <= 0) throw section.error("initial_backoff", "must be greater than 0");
  if (o.max_backoff < o.initial_backoff) throw section.error("max_backoff", "must be at least initial_backoff");
  o.metric_prefix = section.get<std::string>("metric_prefix", o.metric_prefix);
  section.finish();
  return o;
}

}  // namespace esper::field_reports
