#include "oona/envelope_signer.h"

#include <sodium.h>

#include <stdexcept>

#include "oona/key_file.h"
#include "proto/deterministic_serialization.h"

namespace esper::oona {

EnvelopeSigner::EnvelopeSigner(std::string key) : key_(std::move(key)) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
  if (key_.size() != kKeyBytes) {
    throw std::invalid_argument("signing key must be " + std::to_string(kKeyBytes) + " bytes");
  }
}

std::string EnvelopeSigner::mac(std::string_view topic, const proto::Envelope& envelope) const {
  proto::Envelope unsigned_copy = envelope;
  unsigned_copy.clear_signature();
  return mac_of_serialized(topic, proto::serialize_deterministic(unsigned_copy));
}

std::string EnvelopeSigner::mac_of_serialized(std::string_view topic, std::string_view serialized) const {
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, reinterpret_cast<const unsigned char*>(key_.data()), key_.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(topic.data()), topic.size());
  crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(serialized.data()),
                                serialized.size());
  std::string out(crypto_auth_hmacsha256_BYTES, '\0');
  crypto_auth_hmacsha256_final(&state, reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

void EnvelopeSigner::sign(std::string_view topic, proto::Envelope& envelope) const {
  envelope.set_signature(mac(topic, envelope));
}

EnvelopeSigner::Verdict EnvelopeSigner::verify(std::string_view topic,
                                               const proto::Envelope& envelope) const {
  if (envelope.signature().empty()) return Verdict::kUnsigned;
  const std::string expected = mac(topic, envelope);
  if (envelope.signature().size() != expected.size() ||
      sodium_memcmp(envelope.signature().data(), expected.data(), expected.size()) != 0) {
    return Verdict::kBadSignature;
  }
  return Verdict::kOk;
}

std::string_view verdict_name(EnvelopeSigner::Verdict verdict) {
  switch (verdict) {
    case EnvelopeSigner::Verdict::kOk: return "ok";
    case EnvelopeSigner::Verdict::kUnsigned: return "unsigned";
    case EnvelopeSigner::Verdict::kBadSignature: return "bad_signature";
  }
  return "unknown";
}

std::string parse_hex_key(std::string_view hex) {
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.front()))) hex.remove_prefix(1);
  while (!hex.empty() && std::isspace(static_cast<unsigned char>(hex.back()))) hex.remove_suffix(1);
  std::string key(EnvelopeSigner::kKeyBytes, '\0');
  std::size_t key_len = 0;
  if (hex.size() != 2 * EnvelopeSigner::kKeyBytes ||
      sodium_hex2bin(reinterpret_cast<unsigned char*>(key.data()), key.size(), hex.data(), hex.size(),
                     nullptr, &key_len, nullptr) != 0 ||
      key_len != EnvelopeSigner::kKeyBytes) {
    throw std::invalid_argument("signing key must be " +
                                std::to_string(2 * EnvelopeSigner::kKeyBytes) + " hex digits");
  }
  return key;
}

std::string read_key_file(const std::filesystem::path& path, bool allow_insecure_permissions) {
  return parse_hex_key(read_secret_key_file(path, allow_insecure_permissions));
}

}  // namespace esper::oona
