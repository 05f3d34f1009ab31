// A browser cannot abuse Nissa's HTTP API, checked on a real nissa over real sockets: a foreign Host
// (DNS rebinding) gets 421 while a scrape naming Nissa's own address works; the cross-origin
// text/plain POST a web page can send without a preflight cannot reload the config, nor can a GET;
// the admin header from loopback or, when configured, the bearer token can; refusals are counted
// in Nissa's own metrics; a token file others may read stops Nissa at start.
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <fstream>

#include "tests/nissa/raw_http_client.h"
#include "tests/support/nissa_process.h"
#include "tests/support/wait_until.h"

namespace esper::nissa::testing {
namespace {

using esper::testing::wait_until;
using oona::testing::OonaProcess;

constexpr const char* kToken = "Zm9vYmFyLXRlc3QtdG9rZW4tMDEyMzQ1";

class NissaHttpSecurityProcessTest : public ::testing::Test {
 protected:
  void start(const std::string& http_yaml = "") {
    ASSERT_TRUE(oona_.ready()) << "oona did not start";
    nissa_ = std::make_unique<NissaProcess>(oona_.dir().path(), dir_ / "state", "", http_yaml);
    ASSERT_TRUE(nissa_->ready()) << "nissa did not print its ready line";
    port_ = std::stoi(nissa_->url().substr(nissa_->url().rfind(':') + 1));
    own_host_ = "Host: 127.0.0.1:" + std::to_string(port_) + "\r\n";
  }

  // One request on its own connection; `head` is the request line, `headers` end in \r\n each.
  std::string exchange(const std::string& head, const std::string& headers, const std::string& body = "") {
    std::string request = head + " HTTP/1.1\r\n" + headers + "Connection: close\r\n";
    if (!body.empty()) request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    return raw_exchange(port_, request + "\r\n" + body);
  }

  // The value of one of Nissa's own counters in /metrics (-1 while absent).
  double own_counter(const std::string& series) {
    const std::string metrics = nissa_->get_text("/metrics");
    const auto at = metrics.find(series + " ");
    return at == std::string::npos ? -1 : std::stod(metrics.substr(at + series.size() + 1));
  }

  std::filesystem::path token_file(mode_t mode) {
    const auto path = dir_ / "admin.token";
    std::ofstream(path) << kToken << "\n";
    EXPECT_EQ(::chmod(path.c_str(), mode), 0);
    return path;
  }

  OonaProcess oona_;
  esper::testing::TempDir dir_;
  std::unique_ptr<NissaProcess> nissa_;
  int port_ = 0;
  std::string own_host_;
};

TEST_F(NissaHttpSecurityProcessTest, AForeignHostIsRefusedWhileAScrapeNamingNissaWorks) {
  start();
  for (const std::string& host : std::vector<std::string>{"evil.example", "evil.example:" + std::to_string(port_)}) {
    for (const char* path : {"/metrics", "/api/v1/field_reports", "/healthz"}) {
      const std::string response = exchange(std::string("GET ") + path, "Host: " + host + "\r\n");
      EXPECT_EQ(status_of(response), 421) << path << " for Host " << host << ":\n" << response;
      const json body = json::parse(body_of(response), nullptr, false);
      ASSERT_TRUE(body.is_object()) << body_of(response);
      EXPECT_NE(body["error"].get<std::string>().find("http.allowed_hosts"), std::string::npos) << body.dump();
    }
  }
  const std::string refused = "esper_nissa_http_refused_total{source=\"nissa\",reason=\"foreign_host\"}";
  EXPECT_TRUE(wait_until([&] { return own_counter(refused) == 6; }, 10s))
      << refused << " is " << own_counter(refused) << ", expected 6";
  // What Prometheus sends for the target 127.0.0.1:PORT, and a scrape through localhost.
  for (const std::string& host :
       std::vector<std::string>{"127.0.0.1:" + std::to_string(port_), "localhost:" + std::to_string(port_)}) {
    const std::string scrape =
        exchange("GET /metrics", "Host: " + host + "\r\nAccept: text/plain;version=0.0.4;q=1,*/*;q=0.1\r\n");
    EXPECT_EQ(status_of(scrape), 200) << scrape.substr(0, 300);
    EXPECT_NE(scrape.find(refused + " 6"), std::string::npos) << body_of(scrape).substr(0, 2000);
  }
}

TEST_F(NissaHttpSecurityProcessTest, ACrossOriginTextPlainPostOrAGetCannotReloadButTheAdminHeaderCan) {
  start();
  const std::string reloads = "esper_nissa_reloads_total{source=\"nissa\"}";
  ASSERT_TRUE(wait_until([&] { return own_counter(reloads) == 0; }, 10s)) << reloads << " " << own_counter(reloads);

  // A form on http://evil.example posting to Nissa: no preflight, text/plain, the page's Origin.
  const std::string form = exchange("POST /api/v1/admin/reload",
                                    own_host_ + "Origin: http://evil.example\r\nContent-Type: text/plain\r\n", "x=1");
  EXPECT_EQ(status_of(form), 403) << form;
  EXPECT_TRUE(json::parse(body_of(form), nullptr, false)["error"].is_string()) << form;
  // The same without an Origin (an older browser, a redirect): still no admin header, still refused.
  const std::string bare = exchange("POST /api/v1/admin/reload", own_host_ + "Content-Type: text/plain\r\n", "x=1");
  EXPECT_EQ(status_of(bare), 403) << bare;
  EXPECT_NE(bare.find("X-Esper-Admin"), std::string::npos) << "the refusal does not say what is missing:\n" << bare;
  // The preflight a page would need to add a header is never approved, and GET changes nothing.
  const std::string preflight = exchange("OPTIONS /api/v1/admin/reload",
                                         own_host_ + "Origin: http://evil.example\r\nAccess-Control-Request-Method: POST\r\n"
                                                     "Access-Control-Request-Headers: x-esper-admin\r\n");
  EXPECT_EQ(status_of(preflight), 405) << preflight;
  EXPECT_EQ(preflight.find("Access-Control-Allow"), std::string::npos) << preflight;
  const std::string get = exchange("GET /api/v1/admin/reload", own_host_ + "X-Esper-Admin: 1\r\n");
  EXPECT_EQ(status_of(get), 405) << get;
  EXPECT_NE(get.find("Allow: POST"), std::string::npos) << get;

  auto res = nissa_->post_admin("/api/v1/admin/reload");
  ASSERT_TRUE(res) << "no answer from nissa";
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(json::parse(res->body, nullptr, false)["reloaded"], true) << res->body;
  // Exactly one reload happened: the refused requests never reached the handler.
  EXPECT_TRUE(wait_until([&] { return own_counter(reloads) == 1; }, 10s)) << reloads << " " << own_counter(reloads);
  const std::string cross = "esper_nissa_http_refused_total{source=\"nissa\",reason=\"cross_origin\"}";
  const std::string unauthorized = "esper_nissa_http_refused_total{source=\"nissa\",reason=\"admin_unauthorized\"}";
  EXPECT_TRUE(wait_until([&] { return own_counter(cross) == 1 && own_counter(unauthorized) == 1; }, 10s))
      << cross << " " << own_counter(cross) << ", " << unauthorized << " " << own_counter(unauthorized);
}

TEST_F(NissaHttpSecurityProcessTest, WithATokenFileOnlyTheBearerTokenReloads) {
  start("admin_token_file: " + token_file(0600).string());
  auto res = nissa_->post_admin("/api/v1/admin/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401) << "the loopback header is not enough once a token is configured: " << res->body;
  const std::string wrong =
      exchange("POST /api/v1/admin/reload", own_host_ + "Authorization: Bearer " + std::string(kToken) + "x\r\n");
  EXPECT_EQ(status_of(wrong), 401) << wrong;
  const std::string right =
      exchange("POST /api/v1/admin/reload", own_host_ + "Authorization: Bearer " + std::string(kToken) + "\r\n");
  EXPECT_EQ(status_of(right), 200) << right;
  EXPECT_EQ(json::parse(body_of(right), nullptr, false)["reloaded"], true) << right;
}

TEST_F(NissaHttpSecurityProcessTest, ATokenFileOthersMayReadStopsNissaAtStart) {
  const auto token = token_file(0644);
  const auto config = dir_ / "nissa.yaml";
  std::ofstream(config) << "runtime_dir: " << oona_.dir().path().string() << "\nstate_dir: " << (dir_ / "state").string()
                        << "\nhttp: {port: 0, admin_token_file: " << token.string() << "}\n";
  const auto run = esper::testing::run_to_completion(
      {esper::testing::built_binary("nissa/nissa").string(), "--config", config.string()}, /*with_stderr=*/true, 20s);
  EXPECT_EQ(run.exit_code, 2) << run.out;
  EXPECT_NE(run.out.find(token.string()), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("mode 0644"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("nissa ready"), std::string::npos) << run.out;
}

}  // namespace
}  // namespace esper::nissa::testing
