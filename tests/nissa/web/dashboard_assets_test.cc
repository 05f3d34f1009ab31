// The dashboard is compiled into Nissa: "/" is the page, every other file is under /assets/ with
// the Content-Type of its kind and the headers that keep a browser strict (CSP, nosniff, no-cache);
// the page loads its scripts from files, as that CSP requires (no inline script).
#include "nissa/web/dashboard_assets.h"

#include <gtest/gtest.h>

#include <map>

namespace esper::nissa::web {
namespace {

std::map<std::string, DashboardAsset> by_path() {
  std::map<std::string, DashboardAsset> out;
  for (const auto& a : dashboard_assets()) out.emplace(a.url_path, a);
  return out;
}

TEST(DashboardAssetsTest, ThePageAndItsScriptsAreEmbeddedWithTheirTypes) {
  const auto assets = by_path();
  ASSERT_TRUE(assets.contains("/"));
  EXPECT_EQ(assets.at("/").content_type, "text/html; charset=utf-8");
  EXPECT_NE(assets.at("/").bytes.find("<title>"), std::string_view::npos);
  ASSERT_TRUE(assets.contains("/assets/app.js"));
  EXPECT_EQ(assets.at("/assets/app.js").content_type, "text/javascript; charset=utf-8");
  ASSERT_TRUE(assets.contains("/assets/style.css"));
  EXPECT_EQ(assets.at("/assets/style.css").content_type, "text/css; charset=utf-8");
  EXPECT_FALSE(assets.contains("/index.html")) << "the page is served once, as /";
}

TEST(DashboardAssetsTest, ThePageHasNoInlineScriptAndLoadsNothingFromElsewhere) {
  const std::string_view page = by_path().at("/").bytes;
  std::size_t at = 0;
  while ((at = page.find("<script", at)) != std::string_view::npos) {
    const auto end = page.find('>', at);
    EXPECT_NE(page.substr(at, end - at).find("src=\"/assets/"), std::string_view::npos)
        << "inline or foreign script: " << page.substr(at, end - at + 1);
    at = end;
  }
  EXPECT_EQ(page.find("http://"), std::string_view::npos);
  EXPECT_EQ(page.find("https://"), std::string_view::npos);
}

TEST(DashboardAssetsTest, EveryAssetGetsAStrictPolicyNosniffAndRevalidation) {
  std::map<std::string, std::string> headers;
  for (const auto& [k, v] : dashboard_asset_headers()) headers[k] = v;
  EXPECT_NE(headers["Content-Security-Policy"].find("default-src 'self'"), std::string::npos);
  EXPECT_EQ(headers["Content-Security-Policy"].find("unsafe-inline"), std::string::npos);
  EXPECT_EQ(headers["X-Content-Type-Options"], "nosniff");
  EXPECT_EQ(headers["Cache-Control"], "no-cache");
}

TEST(DashboardAssetsTest, ContentTypesFollowTheExtension) {
  EXPECT_EQ(content_type_for("a.svg"), "image/svg+xml");
  EXPECT_EQ(content_type_for("a.png"), "image/png");
  EXPECT_EQ(content_type_for("a.weird"), "application/octet-stream");
}

}  // namespace
}  // namespace esper::nissa::web
