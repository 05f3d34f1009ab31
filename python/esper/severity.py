"""Severities of events, as the wire contract numbers them (proto/esper/severity.proto)."""

import enum


class Severity(enum.IntEnum):
    """How severe an event is. HIGH and CRITICAL events skip the buffer and go out at once on the
    emergency lane; the others are buffered with the metrics. Producer.event() also takes the
    lowercase names ("warning"; "warn" and "crit" too)."""

    DEBUG = 1
    INFO = 2
    WARNING = 3
    HIGH = 4
    CRITICAL = 5
