#include "config/config_section.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "tests/support/temp_dir.h"

namespace esper::config {
namespace {

using namespace std::chrono_literals;

// Runs `body` and returns the ConfigError it throws; fails the test if it throws nothing.
template <typename F>
ConfigError error_from(F&& body) {
  try {
    body();
  } catch (const ConfigError& e) {
    return e;
  }
  ADD_FAILURE() << "expected a ConfigError";
  return ConfigError("", "", 0, "");
}

constexpr const char* kOona = R"(# oona.yaml
runtime_dir: /run/esper
flush_interval: 1s
normal_lane:
  max_messages: 10000
  max_bytes: 64MiB
endpoints:
  normal_ingress: ipc:///run/esper/normal-in
)";

TEST(ConfigSectionTest, ReadsTypedValues) {
  Section root = parse_text(kOona, "oona.yaml");
  EXPECT_EQ(root.required<std::string>("runtime_dir"), "/run/esper");
  EXPECT_EQ(root.required<std::chrono::milliseconds>("flush_interval"), 1000ms);
  Section lane = root.section("normal_lane");
  EXPECT_EQ(lane.required<std::uint64_t>("max_messages"), 10000u);
  EXPECT_EQ(lane.required<ByteSize>("max_bytes").bytes, 64u * 1024 * 1024);
  EXPECT_EQ(lane.get<int>("absent", 7), 7);
  lane.finish();
  EXPECT_EQ(root.section("endpoints").required<std::string>("normal_ingress"),
            "ipc:///run/esper/normal-in");
  root.finish();
}

TEST(ConfigSectionTest, WrongTypeNamesFileKeyAndLine) {
  const char* text = "flush_interval: 1s\nnormal_lane:\n  max_messages: lots\n";
  const ConfigError e = error_from([&] {
    Section root = parse_text(text, "deploy/oona.yaml");
    root.section("normal_lane").required<std::uint64_t>("max_messages");
  });
  EXPECT_EQ(e.file(), "deploy/oona.yaml");
  EXPECT_EQ(e.key(), "normal_lane.max_messages");
  EXPECT_EQ(e.line(), 3);
  EXPECT_STREQ(e.what(),
               "deploy/oona.yaml:3: key 'normal_lane.max_messages': expected a non-negative "
               "integer, got 'lots'");
}

TEST(ConfigSectionTest, MissingRequiredKeyNamesFileKeyAndLine) {
  const char* text = "services:\n  - name: oona\n  - name: nissa\n    restart: always\n";
  const ConfigError e = error_from([&] {
    Section root = parse_text(text, "wl.yaml");
    for (Section& s : root.sections("services")) s.required<std::vector<std::string>>("argv");
  });
  EXPECT_EQ(e.file(), "wl.yaml");
  EXPECT_EQ(e.key(), "services[0].argv");
  EXPECT_EQ(e.line(), 2) << "the line of the section that lacks the key";
  EXPECT_NE(std::string(e.what()).find("required key is missing"), std::string::npos) << e.what();
}

TEST(ConfigSectionTest, UnknownKeyNamesFileKeyAndLineAndWhatIsExpected) {
  const char* text = "flush_interval: 1s\nnormal_lane:\n  max_messages: 5\n  max_bytez: 1MiB\n";
  const ConfigError e = error_from([&] {
    Section root = parse_text(text, "oona.yaml");
    root.get("flush_interval", 1000ms);
    Section lane = root.section("normal_lane");
    lane.get<std::uint64_t>("max_messages", 1);
    lane.get<ByteSize>("max_bytes", {});
    lane.finish();
  });
  EXPECT_EQ(e.key(), "normal_lane.max_bytez");
  EXPECT_EQ(e.line(), 4);
  EXPECT_NE(std::string(e.what()).find("expected one of: max_bytes, max_messages"),
            std::string::npos)
      << e.what();
}

TEST(ConfigSectionTest, UnknownTopLevelKey) {
  const ConfigError e = error_from([&] {
    Section root = parse_text("a: 1\nb: 2\n", "x.yaml");
    root.get<int>("a", 0);
    root.finish();
  });
  EXPECT_EQ(e.key(), "b");
  EXPECT_EQ(e.line(), 2);
}

TEST(ConfigSectionTest, InvalidYamlNamesLine) {
  const ConfigError e = error_from([] { parse_text("a: 1\nb: [unclosed\nc: 3\n", "bad.yaml"); });
  EXPECT_EQ(e.file(), "bad.yaml");
  EXPECT_GE(e.line(), 2);
  EXPECT_NE(std::string(e.what()).find("invalid YAML"), std::string::npos);
}

TEST(ConfigSectionTest, UnreadableFileNamesIt) {
  const ConfigError e = error_from([] { load_file("/nonexistent/esper.yaml"); });
  EXPECT_EQ(e.file(), "/nonexistent/esper.yaml");
  EXPECT_EQ(e.line(), 0);
}

TEST(ConfigSectionTest, LoadsFromFileWithItsPathInErrors) {
  testing::TempDir dir;
  const auto path = dir / "nissa.yaml";
  std::ofstream(path) << "http:\n  port: 80x\n";
  const ConfigError e = error_from([&] { load_file(path).section("http").required<int>("port"); });
  EXPECT_EQ(e.file(), path.string());
  EXPECT_EQ(e.line(), 2);
}

TEST(ConfigSectionTest, NestedListAndNamedSectionsCarryPaths) {
  const char* text = R"(services:
  oona:
    argv: [oona, --config, oona.yaml]
    env: {A: "1"}
  nissa:
    argv: nissa
)";
  Section root = parse_text(text, "wl.yaml");
  auto services = root.named_sections("services");
  ASSERT_EQ(services.size(), 2u);
  EXPECT_EQ(services[0].first, "oona");
  EXPECT_EQ(services[0].second.required<std::vector<std::string>>("argv"),
            (std::vector<std::string>{"oona", "--config", "oona.yaml"}));
  using StringMap = std::map<std::string, std::string>;
  EXPECT_EQ(services[0].second.required<StringMap>("env").at("A"), "1");
  const ConfigError e =
      error_from([&] { services[1].second.required<std::vector<std::string>>("argv"); });
  EXPECT_EQ(e.key(), "services.nissa.argv");
  EXPECT_EQ(e.line(), 6);
  EXPECT_NE(std::string(e.what()).find("expected a list of strings"), std::string::npos);
}

TEST(ConfigSectionTest, CallerChecksReportTheKeyLine) {
  Section root = parse_text("a: 1\nretries: 0\n", "x.yaml");
  root.get<int>("a", 0);
  const ConfigError e = root.error("retries", "must be at least 1");
  EXPECT_EQ(e.line(), 2);
  EXPECT_STREQ(e.what(), "x.yaml:2: key 'retries': must be at least 1");
}

TEST(ConfigSectionTest, EmptyFileMeansDefaults) {
  Section root = parse_text("", "empty.yaml");
  EXPECT_EQ(root.get<int>("port", 9100), 9100);
  root.finish();
}

TEST(ConfigValueTest, Durations) {
  EXPECT_EQ(parse_duration("250ms"), 250ms);
  EXPECT_EQ(parse_duration("1.5s"), 1500ms);
  EXPECT_EQ(parse_duration("2m"), 120000ms);
  EXPECT_EQ(parse_duration("1h"), 3600000ms);
  EXPECT_FALSE(parse_duration("10").has_value()) << "a duration needs a unit";
  EXPECT_FALSE(parse_duration("1d").has_value());
  EXPECT_FALSE(parse_duration("ms").has_value());
}

TEST(ConfigValueTest, ByteSizes) {
  EXPECT_EQ(parse_byte_size("4096")->bytes, 4096u);
  EXPECT_EQ(parse_byte_size("512KiB")->bytes, 512u * 1024);
  EXPECT_EQ(parse_byte_size("64MiB")->bytes, 64u << 20);
  EXPECT_EQ(parse_byte_size("1GB")->bytes, 1000000000u);
  EXPECT_FALSE(parse_byte_size("1.5").has_value());
  EXPECT_FALSE(parse_byte_size("12 parsecs").has_value());
}

TEST(ConfigValueTest, BoolsAreStrict) {
  Section root = parse_text("a: true\nb: no\n", "x.yaml");
  EXPECT_TRUE(root.required<bool>("a"));
  EXPECT_THROW(root.required<bool>("b"), ConfigError);
}

// A path that is not a readable config file is an error naming it, never "all defaults".
class ConfigFileTest : public ::testing::Test {
 protected:
  esper::testing::TempDir dir_;
};

TEST_F(ConfigFileTest, ADirectoryIsRefusedByName) {
  const ConfigError e = error_from([&] { load_file(dir_.path()); });
  EXPECT_EQ(e.file(), dir_.path().string());
  EXPECT_NE(std::string(e.what()).find("is a directory"), std::string::npos) << e.what();
}

TEST_F(ConfigFileTest, AMissingFileSaysItDoesNotExist) {
  const auto path = dir_ / "nope.yaml";
  const ConfigError e = error_from([&] { load_file(path); });
  EXPECT_EQ(e.file(), path.string());
  EXPECT_NE(std::string(e.what()).find("does not exist"), std::string::npos) << e.what();
}

TEST_F(ConfigFileTest, AFileThatFailsToReadIsAnError) {
  // Reading /proc/self/mem at offset 0 fails with EIO even for root, which reads every mode.
  const ConfigError e = error_from([&] { load_file("/proc/self/mem"); });
  EXPECT_NE(std::string(e.what()).find("cannot read the file"), std::string::npos) << e.what();
}

TEST_F(ConfigFileTest, AFifoIsRefusedWithoutHanging) {
  const auto path = dir_ / "fifo";
  ASSERT_EQ(::mkfifo(path.c_str(), 0600), 0);
  const ConfigError e = error_from([&] { load_file(path); });
  EXPECT_NE(std::string(e.what()).find("not a regular file"), std::string::npos) << e.what();
}

TEST_F(ConfigFileTest, AnEmptyFileMeansDefaultsAndSaysSo) {
  const auto path = dir_ / "empty.yaml";
  std::ofstream(path) << "# nothing set\n";
  std::ostringstream log;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("test", sink));
  Section root = load_file(path);
  spdlog::set_default_logger(previous);
  EXPECT_EQ(root.optional<int>("anything"), std::nullopt);
  EXPECT_NE(log.str().find(path.string() + " is empty"), std::string::npos) << log.str();
}

}  // namespace
}  // namespace esper::config
