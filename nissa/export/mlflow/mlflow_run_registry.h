// Which MLflow run each run key (mlflow_metric.h: a source, or source/run_id) logs to. A key
// named in the config logs to the run given there; otherwise, with a default run (config `run_id`
// or MLFLOW_RUN_ID), every key logs to it; otherwise the exporter creates a run for the key and
// remember() keeps it in a file in Nissa's state directory, replaced atomically (fsynced), so a
// restarted Nissa goes on logging to the same runs instead of starting new ones.
//
// A file that cannot be read is reported and set aside as <file>.unreadable (runs are then created
// afresh); one that cannot be written is reported by remember(), and the run is still used until
// Nissa stops.
//
// Not thread-safe: the exporter's sender thread owns it.
#ifndef ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_RUN_REGISTRY_H_
#define ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_RUN_REGISTRY_H_

#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace esper::nissa {

class MlflowRunRegistry {
 public:
  // `file` empty: created runs are kept in memory only.
  MlflowRunRegistry(std::map<std::string, std::string> configured, std::string default_run,
                    std::filesystem::path file);

  std::optional<std::string> find(const std::string& key) const;

  // Whether `key`'s run is one this Nissa created (so it may be forgotten and created again).
  bool created(const std::string& key) const { return created_.contains(key); }

  // Records a run created for `key`. Returns an error message if the file could not be written.
  std::optional<std::string> remember(const std::string& key, const std::string& run_id);

  // Drops a created run the server no longer knows. Returns an error as remember() does.
  std::optional<std::string> forget(const std::string& key);

  std::size_t created_count() const { return created_.size(); }

 private:
  std::optional<std::string> save() const;

  std::map<std::string, std::string> configured_;
  std::string default_run_;
  std::filesystem::path file_;
  std::map<std::string, std::string> created_;
};

}  // namespace esper::nissa

#endif  // ESPER_NISSA_EXPORT_MLFLOW_MLFLOW_RUN_REGISTRY_H_
