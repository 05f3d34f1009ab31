"""The wire contract the C++ codec checks (proto/topic.cc, proto/envelope_codec.h): severities and
metric kinds, the topic `<lane>.<kind>.<severity>.<source>` an envelope must travel under, source
names, the instance stamp, the HMAC-SHA256 signature (oona/envelope_signer.h) and metric points.
"""

import hashlib
import hmac
import os
import socket
import time

from esper import severity_pb2
from esper import telemetry_pb2

SCHEMA_VERSION = 1  # proto/envelope_codec.h kSchemaVersion.

DEBUG = severity_pb2.SEVERITY_DEBUG
INFO = severity_pb2.SEVERITY_INFO
WARNING = severity_pb2.SEVERITY_WARNING
HIGH = severity_pb2.SEVERITY_HIGH
CRITICAL = severity_pb2.SEVERITY_CRITICAL

GAUGE = telemetry_pb2.METRIC_KIND_GAUGE
COUNTER = telemetry_pb2.METRIC_KIND_COUNTER
HISTOGRAM = telemetry_pb2.METRIC_KIND_HISTOGRAM

_SEVERITY_NAMES = {DEBUG: "debug", INFO: "info", WARNING: "warning", HIGH: "high", CRITICAL: "critical"}
# Envelope.body oneof case -> topic kind (proto/topic.cc kKindNames).
_KIND_NAMES = {
    "telemetry": "telemetry",
    "event": "event",
    "field_report": "field_report",
    "field_report_ack": "ack",
    "control": "control",
    "system_state": "system_state",
    "emergency_signal": "emergency_signal",
}
_RELIABLE_KINDS = {"field_report", "ack", "control"}


def now_unix_ns():
    return time.time_ns()


def is_valid_source(source):
    """1..64 characters of [A-Za-z0-9_-]: no dots, since dots separate topic parts."""
    return 0 < len(source) <= 64 and all(c.isascii() and (c.isalnum() or c in "_-") for c in source)


def default_instance():
    return "%s:%d" % (socket.gethostname(), os.getpid())


def topic_for(envelope):
    """The topic the envelope must travel under: lane from body kind and severity."""
    body = envelope.WhichOneof("body")
    if body is None:
        raise ValueError("envelope has no body")
    kind = _KIND_NAMES[body]
    severity = envelope.severity
    if severity not in _SEVERITY_NAMES:
        raise ValueError("invalid severity %d" % severity)
    if envelope.demoted or kind in _RELIABLE_KINDS:
        lane = "reliable"
    elif severity >= HIGH:
        lane = "emergency"
    else:
        lane = "normal"
    return "%s.%s.%s.%s" % (lane, kind, _SEVERITY_NAMES[severity], envelope.source)


def signature(key, topic, unsigned_envelope):
    """HMAC-SHA256 over the topic and the deterministically serialized envelope, whose signature
    field must be empty."""
    mac = hmac.new(key, topic.encode(), hashlib.sha256)
    mac.update(unsigned_envelope.SerializeToString(deterministic=True))
    return mac.digest()


def make_point(name, value, unit, kind=GAUGE, attributes=None, step=None, timestamp_unix_ns=0):
    p = telemetry_pb2.MetricPoint(name=name, value=float(value), unit=unit, kind=kind,
                                  timestamp_unix_ns=timestamp_unix_ns or now_unix_ns())
    for k, v in (attributes or {}).items():
        p.attributes[k] = str(v)
    if step is not None:
        p.step = int(step)
    return p
