"""Esper producer client for Python: the same wire contract as the C++ bus client.

A bus message is two ZeroMQ frames, the topic `<lane>.<kind>.<severity>.<source>` and one
serialized `esper.proto.Envelope`, PUSHed to Oona's normal or emergency ingress. BusPublisher
stamps every envelope as oona/bus_publisher.cc does: schema version 1, source, instance
("<hostname>:<pid>"), a sequence number per lane socket starting at 1, the send time, and (with a
signing key) an HMAC-SHA256 over the topic and the deterministically serialized envelope. The lane
is derived, never chosen: HIGH and CRITICAL telemetry and events go to the emergency ingress.

Producer adds the producer-side buffer of producers/telemetry_buffer.h: record() never blocks and
never does I/O; a bounded buffer drops its oldest item when full and counts it; a background thread
drains it into TelemetryPackets; HIGH and CRITICAL events skip the buffer. Under Weatherlight
(ESPER_CONTROL_ENDPOINT and ESPER_SERVICE_NAME in the environment) that thread speaks the flush
protocol as producers/service_runtime.h does: HELLO on the control socket, a drain and a FLUSHED
reply (packets, points, dropped since the last FLUSHED, depth) for each FLUSH, and its own timer
only while no FLUSH has come for `control_silence_s` (saying HELLO again then). Without
Weatherlight it drains every flush interval. Either way it drains as soon as a batch is buffered
(`drain_batch_points`, `drain_batch_bytes`), so a fast producer is not held to one buffer a flush.

BusSubscriber follows the bus as oona/bus_subscriber.h does, through the egress protocol of
oona/egress_protocol.h: a DEALER socket per egress lane says HELLO (its name, topic prefixes and
credit window) and returns credit as the caller consumes envelopes, so Oona never sends it more
than it reads; if it stops reading, only its own queue in Oona fills, and Oona says how many it
shed (`missed`). A notebook can follow the bus with it.

The message classes come from the project's .proto files, generated at build time by the Debian
protoc (`protoc --python_out`) into the build directory; put that directory on PYTHONPATH.

This module is what users import; the code lives in the esper_client package beside it, one
concept per module (see esper_client/__init__.py).
"""

from esper_client.bus_config import (default_runtime_dir, endpoints_under, parse_hex_key, read_bus_config,
                                     read_secret_key_file)
from esper_client.producer import Producer
from esper_client.publisher import BusPublisher
from esper_client.subscriber import BusSubscriber, default_subscriber_name
from esper_client.wire import (COUNTER, CRITICAL, DEBUG, GAUGE, HIGH, HISTOGRAM, INFO, SCHEMA_VERSION, WARNING,
                               default_instance, is_valid_source, make_point, now_unix_ns, topic_for)

__all__ = [
    "SCHEMA_VERSION", "DEBUG", "INFO", "WARNING", "HIGH", "CRITICAL", "GAUGE", "COUNTER", "HISTOGRAM",
    "now_unix_ns", "is_valid_source", "default_instance", "topic_for", "make_point",
    "default_runtime_dir", "endpoints_under", "parse_hex_key", "read_secret_key_file", "read_bus_config",
    "BusPublisher", "BusSubscriber", "default_subscriber_name", "Producer",
]
