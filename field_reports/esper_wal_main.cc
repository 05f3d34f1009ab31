// esper-wal: inspect, verify, acknowledge, requeue and compact a field-reports WAL directory (an
// outbox's or Nissa's). See field_reports/wal_inspect.h.
//   esper-wal stat DIR | dump DIR [--json] | verify DIR | acknowledge DIR (--all | SEGMENT:OFFSET...)
//           | requeue DIR (--id ID | --all-dropped) | compact DIR
#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "cli/run_program.h"
#include "field_reports/wal_inspect.h"

int main(int argc, char** argv) {
  using namespace esper;
  namespace fr = field_reports;
  cli::CommandLine command_line(
      "Inspect, verify, acknowledge, requeue and compact an Esper field-reports WAL (an outbox's or "
      "Nissa's).\n\nCorruption costs only the damaged records: readers skip a damaged range and go on "
      "with the next good record. Nissa and the outbox copy each range to DIR/quarantine/ when they "
      "replay. `verify` exits 1 while a corrupt range is not acknowledged; `acknowledge` records that an "
      "operator looked at it (in DIR/acknowledged_corruption; the bytes stay in place), after which "
      "verify lists it as acknowledged and exits 0 if nothing else is wrong.\n\nLong reads show "
      "progress on stderr: an updating line on a terminal, else a line every few seconds and one at "
      "the end.");
  command_line.require_one_subcommand();
  std::string dir;
  bool json = false;
  std::string id;
  bool all_dropped = false;
  bool all_ranges = false;
  std::vector<std::string> ranges;

  auto& stat = command_line.subcommand("stat", "Segments, bytes, records by type; an outbox's reports pending/settled/"
                                               "dropped or Nissa's stored reports, events, alerts; corrupt ranges");
  stat.option("DIR", dir, "WAL directory").required();
  auto& dump = command_line.subcommand("dump", "Print every record");
  dump.option("DIR", dir, "WAL directory").required();
  dump.flag("--json", json, "One JSON object per line");
  auto& verify = command_line.subcommand(
      "verify", "Check every checksum; list each corrupt range; exit 1 while one is not acknowledged");
  verify.option("DIR", dir, "WAL directory").required();
  auto& acknowledge = command_line.subcommand(
      "acknowledge", "Record that corrupt ranges were looked at, so verify no longer fails on them");
  acknowledge.option("DIR", dir, "WAL directory").required();
  auto ranges_option = acknowledge.option("RANGES", ranges, "SEGMENT:OFFSET of each range, as verify prints them");
  ranges_option.excludes(acknowledge.flag("--all", all_ranges, "Every corrupt range verify lists"));
  auto& requeue = command_line.subcommand("requeue", "Ask the owning service to resend dropped reports");
  requeue.option("DIR", dir, "WAL directory").required();
  auto id_option = requeue.option("--id", id, "One report id");
  id_option.excludes(requeue.flag("--all-dropped", all_dropped, "Every dropped report"));
  auto& compact = command_line.subcommand("compact", "Delete an outbox WAL's segments whose reports are all settled");
  compact.option("DIR", dir, "WAL directory").required();
  command_line.footer(cli::exit_code_footer("verify found corruption that is not acknowledged") +
                      " I/O errors, unknown reports and ranges exit 2 as well.");

  return cli::run_tool(argc, argv, command_line, "esper-wal", [&] {
    fr::ProgressOutput progress;
    progress.terminal = ::isatty(STDERR_FILENO) == 1;
    if (stat.given()) return fr::wal_stat(dir, std::cout, std::cerr, progress);
    if (dump.given()) return fr::wal_dump(dir, json, std::cout, std::cerr);
    if (verify.given()) return fr::wal_verify(dir, std::cout, std::cerr, progress);
    if (acknowledge.given()) return fr::wal_acknowledge(dir, ranges, all_ranges, std::cout, std::cerr, progress);
    if (requeue.given() && id.empty() && !all_dropped) {
      std::cerr << "esper-wal requeue: give --id ID or --all-dropped\n";
      return fr::kExitError;
    }
    if (requeue.given()) return fr::wal_requeue(dir, all_dropped ? std::string() : id, std::cout, std::cerr);
    if (compact.given()) return fr::wal_compact(dir, std::cout, std::cerr, progress);
    return fr::kExitError;
  });
}
