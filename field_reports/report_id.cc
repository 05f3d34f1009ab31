#include "field_reports/report_id.h"

#include <sodium.h>

#include <stdexcept>

namespace esper::field_reports {

std::string new_report_id(std::string_view source) {
  static const bool initialised = sodium_init() >= 0;
  if (!initialised) throw std::runtime_error("libsodium failed to initialise");
  unsigned char random[16];
  randombytes_buf(random, sizeof random);
  char hex[2 * sizeof random + 1];
  sodium_bin2hex(hex, sizeof hex, random, sizeof random);
  std::string id(source);
  id += '-';
  id += hex;
  return id;
}

}  // namespace esper::field_reports
