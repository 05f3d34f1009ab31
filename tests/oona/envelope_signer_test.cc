#include "oona/envelope_signer.h"

#include <gtest/gtest.h>

#include "proto/envelope_codec.h"

namespace esper::oona {
namespace {

const std::string kHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

proto::Envelope sample() {
  auto e = proto::make_envelope("tamiyo", "h:1", 7, proto::SEVERITY_INFO);
  auto* point = e.mutable_telemetry()->add_metrics();
  point->set_name("x");
  (*point->mutable_attributes())["a"] = "1";
  (*point->mutable_attributes())["b"] = "2";
  return e;
}

TEST(EnvelopeSigner, SignedVerifiesAndAnyChangeOrOtherKeyDoesNot) {
  EnvelopeSigner signer(parse_hex_key(kHex));
  const std::string topic = "normal.telemetry.info.tamiyo";
  auto e = sample();
  EXPECT_EQ(signer.verify(topic, e), EnvelopeSigner::Verdict::kUnsigned);
  signer.sign(topic, e);
  EXPECT_EQ(e.signature().size(), 32u);
  EXPECT_EQ(signer.verify(topic, e), EnvelopeSigner::Verdict::kOk);

  // Survives the wire (a re-parse), whatever the map order.
  proto::Envelope parsed;
  ASSERT_TRUE(parsed.ParseFromString(e.SerializeAsString()));
  EXPECT_EQ(signer.verify(topic, parsed), EnvelopeSigner::Verdict::kOk);

  auto tampered = e;
  tampered.set_sequence(8);
  EXPECT_EQ(signer.verify(topic, tampered), EnvelopeSigner::Verdict::kBadSignature);
  EXPECT_EQ(signer.verify("normal.telemetry.debug.tamiyo", e), EnvelopeSigner::Verdict::kBadSignature);

  std::string other_key = parse_hex_key(kHex);
  other_key[0] = 'x';
  EXPECT_EQ(EnvelopeSigner(other_key).verify(topic, e), EnvelopeSigner::Verdict::kBadSignature);
}

TEST(EnvelopeSigner, KeysMustBe32BytesOf64HexDigits) {
  EXPECT_EQ(parse_hex_key("  " + kHex + "\n").size(), 32u);
  EXPECT_THROW(parse_hex_key(kHex.substr(2)), std::invalid_argument);
  EXPECT_THROW(parse_hex_key(std::string(64, 'z')), std::invalid_argument);
  EXPECT_THROW(EnvelopeSigner(std::string(31, 'k')), std::invalid_argument);
}

}  // namespace
}  // namespace esper::oona
