#include "nissa/export/mlflow/mlflow_run_registry.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "wal/atomic_file.h"

namespace esper::nissa {
namespace {

using json = nlohmann::json;

// {"runs": {"<key>": "<run id>", ...}}; nullopt if the text is not that.
std::optional<std::map<std::string, std::string>> parse_runs(const std::string& text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("runs") || !j["runs"].is_object()) return std::nullopt;
  std::map<std::string, std::string> runs;
  for (const auto& [key, id] : j["runs"].items()) {
    if (!id.is_string() || id.get<std::string>().empty()) return std::nullopt;
    runs[key] = id.get<std::string>();
  }
  return runs;
}

}  // namespace

MlflowRunRegistry::MlflowRunRegistry(std::map<std::string, std::string> configured, std::string default_run,
                                     std::filesystem::path file)
    : configured_(std::move(configured)), default_run_(std::move(default_run)), file_(std::move(file)) {
  if (file_.empty()) return;
  std::ifstream in(file_);
  if (!in) return;  // None yet.
  std::ostringstream text;
  text << in.rdbuf();
  if (auto runs = parse_runs(text.str())) {
    created_ = std::move(*runs);
    spdlog::info("export mlflow: {} run(s) created earlier, from {}", created_.size(), file_.string());
    return;
  }
  std::filesystem::path aside = file_;
  aside += ".unreadable";
  std::error_code ec;
  std::filesystem::rename(file_, aside, ec);
  spdlog::warn("export mlflow: {} is not a run list; moved it to {}{}; runs will be created afresh", file_.string(),
               aside.string(), ec ? " (failed: " + ec.message() + ")" : "");
}

std::optional<std::string> MlflowRunRegistry::find(const std::string& key) const {
  if (auto it = configured_.find(key); it != configured_.end()) return it->second;
  if (!default_run_.empty()) return default_run_;
  if (auto it = created_.find(key); it != created_.end()) return it->second;
  return std::nullopt;
}

std::optional<std::string> MlflowRunRegistry::remember(const std::string& key, const std::string& run_id) {
  created_[key] = run_id;
  return save();
}

std::optional<std::string> MlflowRunRegistry::forget(const std::string& key) {
  if (created_.erase(key) == 0) return std::nullopt;
  return save();
}

std::optional<std::string> MlflowRunRegistry::save() const {
  if (file_.empty()) return std::nullopt;
  json runs = json::object();
  for (const auto& [key, id] : created_) runs[key] = id;
  const std::string text = json{{"runs", std::move(runs)}}.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
  const wal::Status status = wal::write_file_atomically(file_, text);
  if (status.ok()) return std::nullopt;
  return "cannot save the MLflow runs to " + file_.string() + ": " + status.message();
}

}  // namespace esper::nissa
