// esper-wal: inspect, verify, requeue and compact a field-reports WAL directory.
//   esper-wal stat DIR | dump DIR [--json] | verify DIR | requeue DIR (--id ID | --all-dropped) | compact DIR
#include <iostream>
#include <string>

#include <CLI/CLI.hpp>

#include "field_reports/wal_inspect.h"

int main(int argc, char** argv) {
  namespace fr = esper::field_reports;
  CLI::App app{"Inspect, verify, requeue and compact an Esper field-reports WAL"};
  app.require_subcommand(1);
  std::string dir;
  bool json = false;
  std::string id;
  bool all_dropped = false;

  auto* stat = app.add_subcommand("stat", "Segments, bytes, records by type, pending/settled/dropped");
  stat->add_option("DIR", dir, "WAL directory")->required();
  auto* dump = app.add_subcommand("dump", "Print every record");
  dump->add_option("DIR", dir, "WAL directory")->required();
  dump->add_flag("--json", json, "One JSON object per line");
  auto* verify = app.add_subcommand("verify", "Check every checksum; exit 1 on corruption");
  verify->add_option("DIR", dir, "WAL directory")->required();
  auto* requeue = app.add_subcommand("requeue", "Ask the owning service to resend dropped reports");
  requeue->add_option("DIR", dir, "WAL directory")->required();
  auto* id_opt = requeue->add_option("--id", id, "One report id");
  auto* all_opt = requeue->add_flag("--all-dropped", all_dropped, "Every dropped report");
  id_opt->excludes(all_opt);
  auto* compact = app.add_subcommand("compact", "Delete segments whose reports are all settled");
  compact->add_option("DIR", dir, "WAL directory")->required();

  CLI11_PARSE(app, argc, argv);

  if (*stat) return fr::wal_stat(dir, std::cout, std::cerr);
  if (*dump) return fr::wal_dump(dir, json, std::cout, std::cerr);
  if (*verify) return fr::wal_verify(dir, std::cout, std::cerr);
  if (*requeue && id.empty() && !all_dropped) {
    std::cerr << "esper-wal requeue: give --id ID or --all-dropped\n";
    return fr::kExitError;
  }
  if (*requeue) return fr::wal_requeue(dir, all_dropped ? std::string() : id, std::cout, std::cerr);
  if (*compact) return fr::wal_compact(dir, std::cout, std::cerr);
  return fr::kExitError;
}
