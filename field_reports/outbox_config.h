// The outbox's section of a service's YAML config, e.g. under `field_reports:` in tamiyo.yaml:
//
//   wal_dir: /var/lib/esper/tamiyo/field_reports   # required
//   source: tamiyo                  # report id prefix; default "tamiyo"
//   durability: group               # fsync | group | none; default group
//   segment_size: 64MiB
//   retry_cap: 5                    # retries after the first attempt, then dropped
//   initial_backoff: 1s             # doubles per failed attempt...
//   max_backoff: 60s                # ...up to this
//   metric_prefix: tamiyo.field_reports
//
// Errors are config::ConfigError naming file, key and line; unknown keys are refused.
#ifndef ESPER_FIELD_REPORTS_OUTBOX_CONFIG_H_
#define ESPER_FIELD_REPORTS_OUTBOX_CONFIG_H_

#include "config/config_section.h"
#include "field_reports/outbox.h"

namespace esper::field_reports {

OutboxOptions read_outbox_options(config::Section& section);

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_OUTBOX_CONFIG_H_
