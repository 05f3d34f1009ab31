// read_secret_key_file, the one check every key loader shares: a key file its group or others may
// read is refused naming the file and its mode, unless explicitly allowed; the config readers of
// every process (read_bus_location, Oona's curve section) go through it.
#include "oona/key_file.h"

#include <gtest/gtest.h>

#include "config/config_section.h"
#include "oona/broker_config.h"
#include "oona/bus_location_config.h"
#include "tests/support/key_file.h"
#include "tests/support/temp_dir.h"

namespace esper::oona {
namespace {

using esper::testing::kSigningKeyHex;
using esper::testing::write_key_file;
using std::filesystem::perms;

TEST(KeyFile, AnOwnerOnlyFileIsRead) {
  esper::testing::TempDir dir;
  const auto path = write_key_file(dir / "k", kSigningKeyHex);
  EXPECT_EQ(read_secret_key_file(path, false), kSigningKeyHex + "\n");
}

TEST(KeyFile, AFileOthersMayReadIsRefusedNamingItAndItsMode) {
  esper::testing::TempDir dir;
  for (const auto extra : {perms::group_read, perms::others_read, perms::others_write}) {
    const auto path = write_key_file(dir / "k", kSigningKeyHex, perms::owner_read | perms::owner_write | extra);
    try {
      read_secret_key_file(path, false);
      ADD_FAILURE() << "mode " << static_cast<int>(extra) << " accepted";
    } catch (const std::invalid_argument& error) {
      const std::string what = error.what();
      EXPECT_NE(what.find(path.string()), std::string::npos) << what;
      EXPECT_NE(what.find("has mode 06"), std::string::npos) << what;
      EXPECT_NE(what.find("allow_insecure_key_permissions"), std::string::npos) << what;
    }
    // Accepted when the config says so (with a warning in the log).
    EXPECT_EQ(read_secret_key_file(path, true), kSigningKeyHex + "\n");
  }
}

TEST(KeyFile, AMissingFileIsAnErrorNamingIt) {
  esper::testing::TempDir dir;
  try {
    read_secret_key_file(dir / "absent", false);
    FAIL() << "a missing key file was read";
  } catch (const std::invalid_argument& error) {
    EXPECT_NE(std::string(error.what()).find("absent"), std::string::npos) << error.what();
  }
}

TEST(KeyFile, EveryConfigReaderChecksItsKeyFiles) {
  esper::testing::TempDir dir;
  const auto wide = perms::owner_read | perms::owner_write | perms::group_read | perms::others_read;
  const auto signing = write_key_file(dir / "signing.key", kSigningKeyHex, wide);
  char public_key[41], secret_key[41];
  ASSERT_EQ(zmq_curve_keypair(public_key, secret_key), 0);
  const auto curve = write_key_file(dir / "curve.secret", secret_key, wide);
  const std::vector<std::string> configs = {
      "signing: {key_file: " + signing.string() + "}\n",
      "client_curve: {server_public_key: '" + std::string(public_key) + "', secret_key_file: " + curve.string() + "}\n",
      "curve: {server_secret_key_file: " + curve.string() + "}\n"};
  for (const auto& yaml : configs) {
    try {
      (void)load_broker_config(config::parse_text(yaml, "test.yaml"), dir.path());
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const config::ConfigError& error) {
      EXPECT_NE(std::string(error.what()).find("has mode 0644"), std::string::npos) << error.what();
      EXPECT_NE(std::string(error.what()).find("test.yaml:1"), std::string::npos) << error.what();
    }
    EXPECT_NO_THROW((void)load_broker_config(
        config::parse_text("allow_insecure_key_permissions: true\n" + yaml, "test.yaml"), dir.path()))
        << yaml;
  }
  auto root = config::parse_text("signing: {key_file: " + signing.string() + "}\n", "bus.yaml");
  EXPECT_THROW((void)read_bus_location(root, dir.path()), config::ConfigError);
}

}  // namespace
}  // namespace esper::oona
