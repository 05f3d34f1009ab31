// esper-wal: inspect, verify, acknowledge, requeue and compact a field-reports WAL directory (an
// outbox's or Nissa's). See field_reports/wal_inspect.h.
//   esper-wal stat DIR | dump DIR [--json] | verify DIR | acknowledge DIR (--all | SEGMENT:OFFSET...)
//           | requeue DIR (--id ID | --all-dropped) | compact DIR
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli/command_line.h"
#include "field_reports/wal_inspect.h"

int main(int argc, char** argv) {
  namespace fr = esper::field_reports;
  CLI::App app{"Inspect, verify, acknowledge, requeue and compact an Esper field-reports WAL (an outbox's or "
               "Nissa's).\n\nCorruption costs only the damaged records: readers skip a damaged range and go on "
               "with the next good record. Nissa and the outbox copy each range to DIR/quarantine/ when they "
               "replay. `verify` exits 1 while a corrupt range is not acknowledged; `acknowledge` records that an "
               "operator looked at it (in DIR/acknowledged_corruption; the bytes stay in place), after which "
               "verify lists it as acknowledged and exits 0 if nothing else is wrong.\n\nLong reads show "
               "progress on stderr: an updating line on a terminal, else a line every few seconds and one at "
               "the end."};
  app.require_subcommand(1);
  std::string dir;
  bool json = false;
  std::string id;
  bool all_dropped = false;
  bool all_ranges = false;
  std::vector<std::string> ranges;

  auto* stat = app.add_subcommand("stat", "Segments, bytes, records by type; an outbox's reports pending/settled/"
                                          "dropped or Nissa's stored reports, events, alerts; corrupt ranges");
  stat->add_option("DIR", dir, "WAL directory")->required();
  auto* dump = app.add_subcommand("dump", "Print every record");
  dump->add_option("DIR", dir, "WAL directory")->required();
  dump->add_flag("--json", json, "One JSON object per line");
  auto* verify = app.add_subcommand(
      "verify", "Check every checksum; list each corrupt range; exit 1 while one is not acknowledged");
  verify->add_option("DIR", dir, "WAL directory")->required();
  auto* acknowledge = app.add_subcommand(
      "acknowledge", "Record that corrupt ranges were looked at, so verify no longer fails on them");
  acknowledge->add_option("DIR", dir, "WAL directory")->required();
  auto* ranges_opt = acknowledge->add_option("RANGES", ranges, "SEGMENT:OFFSET of each range, as verify prints them");
  auto* all_ranges_opt = acknowledge->add_flag("--all", all_ranges, "Every corrupt range verify lists");
  ranges_opt->excludes(all_ranges_opt);
  auto* requeue = app.add_subcommand("requeue", "Ask the owning service to resend dropped reports");
  requeue->add_option("DIR", dir, "WAL directory")->required();
  auto* id_opt = requeue->add_option("--id", id, "One report id");
  auto* all_opt = requeue->add_flag("--all-dropped", all_dropped, "Every dropped report");
  id_opt->excludes(all_opt);
  auto* compact = app.add_subcommand("compact", "Delete an outbox WAL's segments whose reports are all settled");
  compact->add_option("DIR", dir, "WAL directory")->required();

  app.footer(esper::cli::exit_code_footer("verify found corruption that is not acknowledged") +
             " I/O errors, unknown reports and ranges exit 2 as well.");
  if (const auto code = esper::cli::parse(app, argc, argv)) return *code;

  fr::ProgressOutput progress;
  progress.terminal = ::isatty(STDERR_FILENO) == 1;
  if (*stat) return fr::wal_stat(dir, std::cout, std::cerr, progress);
  if (*dump) return fr::wal_dump(dir, json, std::cout, std::cerr);
  if (*verify) return fr::wal_verify(dir, std::cout, std::cerr, progress);
  if (*acknowledge) return fr::wal_acknowledge(dir, ranges, all_ranges, std::cout, std::cerr, progress);
  if (*requeue && id.empty() && !all_dropped) {
    std::cerr << "esper-wal requeue: give --id ID or --all-dropped\n";
    return fr::kExitError;
  }
  if (*requeue) return fr::wal_requeue(dir, all_dropped ? std::string() : id, std::cout, std::cerr);
  if (*compact) return fr::wal_compact(dir, std::cout, std::cerr, progress);
  return fr::kExitError;
}
