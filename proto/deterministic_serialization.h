// A message's bytes in protobuf's deterministic order (map entries sorted by key), the one form two
// processes can agree on byte for byte: what an envelope's signature covers (oona/envelope_signer.h)
// and what the producers' own encoder must reproduce (proto/metric_point_encoding.h). Plain
// SerializeToString leaves map order to the hash map.
#ifndef ESPER_PROTO_DETERMINISTIC_SERIALIZATION_H_
#define ESPER_PROTO_DETERMINISTIC_SERIALIZATION_H_

#include <string>

#include <google/protobuf/message_lite.h>

namespace esper::proto {

std::string serialize_deterministic(const google::protobuf::MessageLite& message);

}  // namespace esper::proto

#endif  // ESPER_PROTO_DETERMINISTIC_SERIALIZATION_H_
