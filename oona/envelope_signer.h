// Optional end-to-end authenticity of envelopes: HMAC-SHA256 (libsodium crypto_auth_hmacsha256)
// under a 32-byte secret shared by producers, Oona and subscribers.
//
// The MAC covers the topic frame followed by the envelope serialized deterministically with its
// `signature` field empty, and is stored in `signature`. Deterministic serialization makes the
// input independent of map ordering on the wire, so a receiver recomputes it from the parsed
// envelope. Oona verifies every envelope when a key is configured (rejections counted as
// `unsigned` / `bad_signature`) and re-signs the ones it changes (demotion).
#ifndef ESPER_OONA_ENVELOPE_SIGNER_H_
#define ESPER_OONA_ENVELOPE_SIGNER_H_

#include <filesystem>
#include <string>
#include <string_view>

#include "esper/envelope.pb.h"

namespace esper::oona {

class EnvelopeSigner {
 public:
  static constexpr std::size_t kKeyBytes = 32;

  enum class Verdict { kOk, kUnsigned, kBadSignature };

  // `key` is the raw 32-byte secret; throws std::invalid_argument otherwise.
  explicit EnvelopeSigner(std::string key);

  void sign(std::string_view topic, proto::Envelope& envelope) const;
  Verdict verify(std::string_view topic, const proto::Envelope& envelope) const;

  // The signature of an envelope already serialized deterministically with `signature` empty
  // (an encoded telemetry packet's frame, proto/envelope_codec.h).
  std::string mac_of_serialized(std::string_view topic, std::string_view serialized) const;

 private:
  std::string mac(std::string_view topic, const proto::Envelope& envelope) const;
  std::string key_;
};

// "unsigned" or "bad_signature": the reason label of reject counters ("ok" for kOk).
std::string_view verdict_name(EnvelopeSigner::Verdict verdict);

// A key written as 64 hex digits (surrounding whitespace ignored); throws std::invalid_argument.
std::string parse_hex_key(std::string_view hex);
// The same, read from a key file (oona/key_file.h: refused if its group or others may read it,
// unless `allow_insecure_permissions`).
std::string read_key_file(const std::filesystem::path& path, bool allow_insecure_permissions = false);

}  // namespace esper::oona

#endif  // ESPER_OONA_ENVELOPE_SIGNER_H_
