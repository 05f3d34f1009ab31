// The largest frame a socket that receives envelopes lets into memory (ZMQ_MAXMSGSIZE). libzmq reads
// a frame's length before its body, so a larger frame is refused, and its sender disconnected,
// without allocating for it: a 1 GiB frame no longer grows the receiver by 1 GiB before the codec
// can call it oversize. The limit is twice max_envelope_bytes (plus room for small frames), so an
// envelope a little over the limit still reaches the codec and is counted as `oversize` by reason
// and source; only frames no sender of ours would produce are cut off at the transport.
#ifndef ESPER_OONA_FRAME_LIMIT_H_
#define ESPER_OONA_FRAME_LIMIT_H_

#include <cstddef>
#include <cstdint>

namespace esper::oona {

inline std::int64_t transport_frame_limit(std::size_t max_envelope_bytes) {
  return static_cast<std::int64_t>(2 * max_envelope_bytes + (64u << 10));
}

}  // namespace esper::oona

#endif  // ESPER_OONA_FRAME_LIMIT_H_
