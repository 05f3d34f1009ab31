// Key file permissions with a real oona: a signing key file or CURVE secret key file that its group
// or others may read stops Oona at start (exit 2) with a message naming the file and its mode;
// `allow_insecure_key_permissions: true` lets it start, with a loud warning.
#include <gtest/gtest.h>

#include <fstream>

#include "tests/support/key_file.h"
#include "tests/support/oona_process.h"

namespace esper::oona::testing {
namespace {

using esper::testing::kSigningKeyHex;
using esper::testing::write_key_file;
using std::filesystem::perms;

constexpr auto kWorldReadable = perms::owner_read | perms::owner_write | perms::group_read | perms::others_read;

std::string oona_config(const esper::testing::TempDir& dir, const std::string& extra) {
  const auto path = dir / "oona.yaml";
  std::ofstream(path) << "runtime_dir: " << (dir / "run").string() << "\n" << extra;
  return path.string();
}

TEST(OonaKeyFiles, AKeyFileOthersMayReadStopsOonaNamingTheFileAndItsMode) {
  esper::testing::TempDir dir;
  const auto signing = write_key_file(dir / "bus.key", kSigningKeyHex, kWorldReadable);
  char public_key[41], secret_key[41];
  ASSERT_EQ(zmq_curve_keypair(public_key, secret_key), 0);
  const auto curve = write_key_file(dir / "oona.secret", secret_key, perms::owner_read | perms::group_read);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"signing:\n  key_file: " + signing.string() + "\n", signing.string() + " has mode 0644"},
      {"endpoints: {normal_ingress: 'tcp://127.0.0.1:*', emergency_ingress: 'tcp://127.0.0.1:*',"
       " normal_egress: 'tcp://127.0.0.1:*', emergency_egress: 'tcp://127.0.0.1:*'}\n"
       "curve:\n  server_secret_key_file: " + curve.string() + "\n",
       curve.string() + " has mode 0440"}};
  for (const auto& [yaml, expected] : cases) {
    const auto result = esper::testing::run_to_completion(
        {esper::testing::built_binary("oona/oona").string(), "--config", oona_config(dir, yaml)}, true, 20s);
    EXPECT_EQ(result.exit_code, 2) << result.out;
    EXPECT_NE(result.out.find(expected), std::string::npos) << result.out;
    EXPECT_EQ(result.out.find("oona ready"), std::string::npos) << result.out;
  }
}

TEST(OonaKeyFiles, AllowInsecureKeyPermissionsStartsOonaWithAWarning) {
  esper::testing::TempDir dir;
  const auto signing = write_key_file(dir / "bus.key", kSigningKeyHex, kWorldReadable);
  esper::testing::ChildProcess oona(
      {esper::testing::built_binary("oona/oona").string(), "--config",
       oona_config(dir, "allow_insecure_key_permissions: true\nsigning:\n  key_file: " + signing.string() + "\n")},
      {.env = {}, .cwd = {}, .capture_stdout = true, .capture_stderr = true});
  const auto warning = oona.wait_for_line("INSECURE", 20s);
  ASSERT_TRUE(warning.has_value()) << "no warning about the key file";
  EXPECT_NE(warning->find(signing.string()), std::string::npos) << *warning;
  EXPECT_TRUE(oona.wait_for_line("oona ready", 20s).has_value()) << "oona did not start";
  EXPECT_EQ(oona.stop(), 0);
}

TEST(OonaKeyFiles, AnOwnerOnlyKeyFileSignsEveryEnvelope) {
  esper::testing::TempDir dir;
  const auto signing = write_key_file(dir / "bus.key", kSigningKeyHex);
  OonaProcess oona("signing:\n  key_file: " + signing.string() + "\n");
  ASSERT_TRUE(oona.ready()) << "oona refused an owner-only key file";
  const std::string key = parse_hex_key(kSigningKeyHex);
  BusSubscriber subscriber(signed_subscriber_options(oona.endpoints(), key));
  EXPECT_TRUE(connect(oona.endpoints(), subscriber, true, true, {}, key)) << "signed probes were not delivered";
}

}  // namespace
}  // namespace esper::oona::testing
