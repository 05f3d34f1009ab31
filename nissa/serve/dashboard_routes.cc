#include "nissa/serve/dashboard_routes.h"

#include <algorithm>
#include <memory>
#include <mutex>

#include <nlohmann/json.hpp>

#include "nissa/serve/analytics_queries.h"
#include "nissa/serve/metric_search.h"
#include "nissa/serve/query_api.h"
#include "nissa/web/dashboard_assets.h"
#include "nissa/web/live_feed.h"
#include "nissa/web/sse_hub.h"
#include "proto/envelope_codec.h"

namespace esper::nissa {
namespace {

std::int64_t dashboard_now_ms() { return static_cast<std::int64_t>(proto::now_unix_ns() / 1'000'000); }

// New events and alerts per look, at most: a flood is summarised by the newest, and the browser can
// page the rest from /api/v1/events.
constexpr std::uint64_t kMaxNewPerLook = 200;
constexpr std::chrono::milliseconds kCountersEvery{1000};

// What the live feed knows of what it has sent, and the feed itself.
class DashboardLive {
 public:
  explicit DashboardLive(Observer& observer)
      : observer_(observer), feed_(hub_, [this] { return look(); }) {}

  // A new stream; null when too many are open.
  std::shared_ptr<web::SseStream> open() {
    {
      std::lock_guard lock(mu_);
      if (!started_ || hub_.open_streams() == 0) {
        // Only what arrives from now on is news: the browser reads the past from the API after
        // the greeting, so nothing falls between the two. (Again after a time with no stream:
        // the feed did not look meanwhile, and what it missed is the past.)
        seen_events_ = observer_.read([](const MetricAggregator&, const EventLog& e, const FieldReportStore&) { return e.total(); });
        seen_alert_id_ = observer_.read_analytics([](const Analytics& a) { return last_alert_id(a.alerts.log()); });
        started_ = true;
      }
    }
    auto stream = hub_.open(web::sse_comment("esper nissa live") + "retry: 2000\n\n" +
                            web::sse_message("hello", counters().dump()));
    if (stream) feed_.start();
    return stream;
  }

 private:
  static std::uint64_t last_alert_id(const AlertLog& log) { return log.alerts().empty() ? 0 : log.alerts().back().id; }

  nlohmann::json counters() {
    nlohmann::json c = observer_.read([](const MetricAggregator& m, const EventLog& e, const FieldReportStore& r) {
      return nlohmann::json{{"series", m.series_count()}, {"events_total", e.total()}, {"field_reports", r.size()}};
    });
    c["alerts_total"] = observer_.read_analytics([](const Analytics& a) { return a.alerts.log().total(); });
    c["time_ms"] = dashboard_now_ms();
    c["streams"] = hub_.open_streams();
    c["ready"] = observer_.ready();
    return c;
  }

  // Runs on the feed's thread only: what is new since the last look, as SSE messages.
  std::string look() {
    std::lock_guard lock(mu_);
    std::string out;
    const auto [events_total, events_json] = observer_.read(
        [&](const MetricAggregator& m, const EventLog& e, const FieldReportStore& r) -> std::pair<std::uint64_t, std::string> {
          const std::uint64_t total = e.total();
          if (total <= seen_events_) return {total, ""};
          const std::uint64_t fresh = std::min(total - seen_events_, kMaxNewPerLook);
          const QueryApi api(m, e, r, dashboard_now_ms);
          return {total, api.events({{"limit", std::to_string(fresh)}}).body};
        });
    seen_events_ = events_total;
    if (!events_json.empty()) out += web::sse_message("events", events_json);

    const auto [alert_id, alerts_json] =
        observer_.read_analytics([&](const Analytics& a) -> std::pair<std::uint64_t, std::string> {
          const std::uint64_t last = last_alert_id(a.alerts.log());
          if (last <= seen_alert_id_) return {last, ""};
          return {last, alerts_reply(a.alerts.log(), {{"since_id", std::to_string(seen_alert_id_)},
                                                      {"limit", std::to_string(kMaxNewPerLook)}})
                            .body};
        });
    seen_alert_id_ = alert_id;
    if (!alerts_json.empty()) out += web::sse_message("alerts", alerts_json);

    const auto now = std::chrono::steady_clock::now();
    if (now - last_counters_ >= kCountersEvery) {
      out += web::sse_message("counters", counters().dump());
      last_counters_ = now;
    }
    return out;
  }

  Observer& observer_;
  std::mutex mu_;
  bool started_ = false;
  std::uint64_t seen_events_ = 0;
  std::uint64_t seen_alert_id_ = 0;
  std::chrono::steady_clock::time_point last_counters_{};
  web::SseHub hub_;
  web::LiveFeed feed_;  // Last: its thread stops before the rest goes.
};

}  // namespace

std::vector<HttpRoute> dashboard_routes(Observer& observer) {
  std::vector<HttpRoute> routes;
  for (const web::DashboardAsset& asset : web::dashboard_assets()) {
    routes.push_back({"GET", asset.url_path,
                      [asset](const HttpRequest&) {
                        return HttpReply{200, std::string(asset.bytes), std::string(asset.content_type),
                                         web::dashboard_asset_headers()};
                      },
                      /*on_event_loop=*/true});
  }
  auto search = std::make_shared<MetricSearch>([&observer](const MetricNameIndex& index, std::size_t max) {
    return observer.read([&](const MetricAggregator& m, const EventLog&, const FieldReportStore&) {
      return index.unread_series(m, max);
    });
  });
  routes.push_back({"GET", "/api/v1/metrics/search", [search](const HttpRequest& request) {
                      const QueryReply reply = search->reply(request.params);
                      return HttpReply{reply.status, reply.body, "application/json"};
                    }});
  auto live = std::make_shared<DashboardLive>(observer);
  routes.push_back({"GET", "/api/v1/stream", [live](const HttpRequest& request) {
                      if (!request.params.empty()) {
                        return HttpReply{400, bad_parameter_json(request.params.begin()->first, "unknown parameter")};
                      }
                      auto stream = live->open();
                      if (!stream) {
                        HttpReply busy{503, nlohmann::json{{"error", "too many live dashboards open (at most " +
                                                                         std::to_string(web::kMaxSseStreams) + ")"}}
                                                .dump()};
                        busy.headers.emplace_back("Retry-After", "10");
                        return busy;
                      }
                      HttpReply reply{200, "", "text/event-stream; charset=utf-8"};
                      reply.headers = {{"Cache-Control", "no-store"}, {"X-Content-Type-Options", "nosniff"}};
                      reply.stream = std::move(stream);
                      return reply;
                    }});
  return routes;
}

}  // namespace esper::nissa
