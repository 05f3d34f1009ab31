#include "oona/envelope_reader.h"

#include <gtest/gtest.h>

#include <set>

namespace esper::oona {
namespace {

const std::string kKey(EnvelopeSigner::kKeyBytes, 'k');

proto::Envelope telemetry() {
  proto::Envelope e = proto::make_envelope("reader", "i", 1, proto::SEVERITY_INFO);
  e.mutable_telemetry();
  return e;
}

ReadEnvelope read_back(const proto::WireMessage& m, const EnvelopeSigner* signer) {
  const std::vector<std::string_view> frames{m.topic, m.envelope};
  return decode_and_verify(frames, {}, signer);
}

TEST(EnvelopeReader, EveryReasonHasOneDistinctNameMatchingTheCodecAndTheSigner) {
  std::set<std::string_view> names;
  for (std::size_t i = 0; i < kRejectReasonCount; ++i) names.insert(reject_reason_name(static_cast<RejectReason>(i)));
  EXPECT_EQ(names.size(), kRejectReasonCount);
  for (std::size_t i = 0; i < proto::kDecodeErrorCount; ++i) {
    const auto error = static_cast<proto::DecodeError>(i);
    EXPECT_EQ(reject_reason_name(reject_reason(error)), proto::decode_error_name(error));
  }
  EXPECT_EQ(reject_reason_name(reject_reason(EnvelopeSigner::Verdict::kUnsigned)), "unsigned");
  EXPECT_EQ(reject_reason_name(reject_reason(EnvelopeSigner::Verdict::kBadSignature)), "bad_signature");
}

TEST(EnvelopeReader, WhatEncodeSignedWritesReadsBackVerified) {
  const EnvelopeSigner signer(kKey);
  auto e = telemetry();
  const auto m = encode_signed(e, &signer);
  const auto read = read_back(m, &signer);
  ASSERT_TRUE(read.ok()) << read.detail;
  EXPECT_EQ(read.decoded.envelope().source(), "reader");
}

TEST(EnvelopeReader, UnsignedAndTamperedEnvelopesAreRejectedByReason) {
  const EnvelopeSigner signer(kKey);
  auto plain = telemetry();
  EXPECT_EQ(read_back(encode_signed(plain, nullptr), &signer).reject, RejectReason::kUnsigned);

  auto e = telemetry();
  auto m = encode_signed(e, &signer);
  proto::Envelope tampered;
  ASSERT_TRUE(tampered.ParseFromString(m.envelope));
  tampered.set_sequence(99);
  m.envelope = tampered.SerializeAsString();
  EXPECT_EQ(read_back(m, &signer).reject, RejectReason::kBadSignature);

  const std::vector<std::string_view> one_frame{m.topic};
  EXPECT_EQ(decode_and_verify(one_frame, {}, nullptr).reject, RejectReason::kWrongFrameCount);
}

TEST(EnvelopeReader, EncodeSignedReplacesAnOldSignature) {
  const EnvelopeSigner signer(kKey);
  auto e = telemetry();
  (void)encode_signed(e, &signer);
  e.set_demoted(true);  // As Oona's demotion changes an envelope after it was signed.
  e.set_severity(proto::SEVERITY_HIGH);
  EXPECT_TRUE(read_back(encode_signed(e, &signer), &signer).ok());
}

}  // namespace
}  // namespace esper::oona
