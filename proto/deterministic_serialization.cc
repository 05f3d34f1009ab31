#include "proto/deterministic_serialization.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

namespace esper::proto {

std::string serialize_deterministic(const google::protobuf::MessageLite& message) {
  std::string bytes;
  {
    // The streams flush into `bytes` when they go out of scope.
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    message.SerializeToCodedStream(&coded);
  }
  return bytes;
}

}  // namespace esper::proto
