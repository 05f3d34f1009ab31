// Field-report ids: "<source>-<32 lowercase hex digits>", the hex being 128 bits from libsodium's
// randombytes (the kernel CSPRNG). No counter, no clock, no state on disk: an id cannot be reused
// after a restart, in another process or on another host (a collision needs ~2^64 ids).
#ifndef ESPER_FIELD_REPORTS_REPORT_ID_H_
#define ESPER_FIELD_REPORTS_REPORT_ID_H_

#include <string>
#include <string_view>

namespace esper::field_reports {

std::string new_report_id(std::string_view source);

}  // namespace esper::field_reports

#endif  // ESPER_FIELD_REPORTS_REPORT_ID_H_
