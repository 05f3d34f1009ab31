// A fresh CurveZMQ key pair for a test that turns CURVE on (a server's, or a client's).
#ifndef ESPER_TESTS_SUPPORT_CURVE_KEYS_H_
#define ESPER_TESTS_SUPPORT_CURVE_KEYS_H_

#include <gtest/gtest.h>
#include <zmq.h>

#include <array>
#include <string>

namespace esper::testing {

struct KeyPair {
  std::string public_key, secret_key;  // Z85 text, 40 characters each.
};

inline KeyPair make_keypair() {
  std::array<char, 41> pub{}, sec{};
  EXPECT_EQ(zmq_curve_keypair(pub.data(), sec.data()), 0);
  return {std::string(pub.data(), 40), std::string(sec.data(), 40)};
}

}  // namespace esper::testing

#endif  // ESPER_TESTS_SUPPORT_CURVE_KEYS_H_
