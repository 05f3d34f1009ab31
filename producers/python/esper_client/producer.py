"""Producer: the producer-side buffer of producers/telemetry_buffer.h in front of a BusPublisher.
record_metric() and record_event() never block and never do I/O; the bounded buffer drops its
oldest item when full and counts it; a background thread drains it into TelemetryPackets; HIGH and
CRITICAL events skip the buffer. Under Weatherlight (ESPER_CONTROL_ENDPOINT and ESPER_SERVICE_NAME
in the environment) that thread speaks the flush protocol (flush_link.py); without Weatherlight it
drains every flush interval.
"""

import collections
import os
import threading

from esper import envelope_pb2
from esper import telemetry_pb2

from . import flush_link
from .wire import GAUGE, HIGH, INFO, make_point, now_unix_ns


class Producer:
    """The bounded buffer and the flush thread in front of a BusPublisher.

    `control_endpoint` and `service` default to $ESPER_CONTROL_ENDPOINT and $ESPER_SERVICE_NAME (set
    by Weatherlight for its children); with no control endpoint the producer drains on its timer.
    """

    def __init__(self, publisher, capacity=10000, max_points_per_packet=500, flush_interval_s=1.0,
                 control_endpoint=None, service=None, version="", control_silence_s=3.0):
        self._bus = publisher
        self._capacity = max(1, capacity)
        self._per_packet = max(1, max_points_per_packet)
        self._flush_interval = flush_interval_s
        self._control_endpoint = control_endpoint or os.environ.get("ESPER_CONTROL_ENDPOINT") or None
        self._service = service or os.environ.get("ESPER_SERVICE_NAME") or publisher.source
        self._version = version
        self._control_silence = control_silence_s
        self.flushes_answered = 0
        self.timer_flushes = 0
        self._lock = threading.Lock()      # The buffer.
        self._bus_lock = threading.Lock()  # The publisher: flush thread and emergency callers.
        self._drain_lock = threading.Lock()  # One drainer at a time (flush thread or flush()).
        self._points = collections.deque()
        self._events = collections.deque()
        self._packet_seq = 0
        self._event_seq = 0
        self.dropped_total = 0
        self._dropped_reported = 0  # dropped_total at the last FLUSHED.
        self.unsent_emergency = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="esper-flush", daemon=True)
        self._thread.start()

    def _make_room_locked(self):
        if len(self._points) + len(self._events) < self._capacity:
            return
        # The oldest metric point goes first, then the oldest event (telemetry_buffer.h).
        (self._points if self._points else self._events).popleft()
        self.dropped_total += 1

    def record_metric(self, name, value, unit, kind=GAUGE, attributes=None, step=None):
        point = make_point(name, value, unit, kind, attributes, step)
        with self._lock:
            self._make_room_locked()
            self._points.append(point)

    def record_event(self, description, level=INFO, attributes=None):
        """Buffers an event; HIGH and CRITICAL are published at once on the emergency lane."""
        with self._lock:
            self._event_seq += 1
            event_id = "%s-%d" % (self._bus.instance, self._event_seq)
        event = telemetry_pb2.TelemetryEvent(event_id=event_id, description=description, level=level,
                                             timestamp_unix_ns=now_unix_ns())
        for k, v in (attributes or {}).items():
            event.attributes[k] = str(v)
        if level >= HIGH:
            envelope = envelope_pb2.Envelope(severity=level)
            envelope.event.CopyFrom(event)
            with self._bus_lock:
                ok = self._bus.publish(envelope)
            if not ok:
                self.unsent_emergency += 1
            return ok
        with self._lock:
            self._make_room_locked()
            self._events.append(event)
        return True

    def flush(self):
        """Publishes everything buffered, in packets; returns the number of points published."""
        with self._drain_lock:
            return self._drain()[1]

    def _drain(self):
        """Publishes the buffer; returns (packets, points) published and how many items it left.

        What it leaves is what the bus refused, put back at the front of the buffer; points recorded
        while it ran belong to the next drain and are not counted."""
        with self._lock:
            points, self._points = self._points, collections.deque()
            events, self._events = self._events, collections.deque()
        published = 0
        packets = 0
        left = 0
        while points or events:
            self._packet_seq += 1
            envelope = envelope_pb2.Envelope()
            packet = envelope.telemetry
            packet.packet_id = "%s-%d" % (self._bus.source, self._packet_seq)
            packet.timestamp_unix_ns = now_unix_ns()
            packet.source_subsystem = self._bus.source
            level = INFO
            for _ in range(min(self._per_packet, len(points))):
                packet.metrics.append(points.popleft())
            for _ in range(min(self._per_packet, len(events))):
                event = events.popleft()
                level = max(level, event.level)
                packet.events.append(event)
            packet.level = level
            envelope.severity = level
            with self._bus_lock:
                ok = self._bus.publish(envelope)
            if not ok:
                # Not handed over: back to the front of the buffer, within its bound.
                with self._lock:
                    self._points.extendleft(reversed(list(packet.metrics) + list(points)))
                    self._events.extendleft(reversed(list(packet.events) + list(events)))
                    left = len(packet.metrics) + len(points) + len(packet.events) + len(events)
                    while len(self._points) + len(self._events) > self._capacity:
                        (self._points if self._points else self._events).popleft()
                        self.dropped_total += 1
                        left = max(0, left - 1)
                break
            published += len(packet.metrics)
            packets += 1
        return packets, published, left

    def _timer_flush(self):
        self.flush()
        self.timer_flushes += 1

    def _answer_flush(self):
        """The drain for a FLUSH and the counts of its FLUSHED: (packets, points, dropped, depth)."""
        with self._drain_lock:
            packets, points, depth = self._drain()
        with self._lock:
            dropped = self.dropped_total - self._dropped_reported
            self._dropped_reported = self.dropped_total
        # State first, reply second: whoever sees FLUSHED also sees the counters.
        self.flushes_answered += 1
        return packets, points, dropped, depth

    def _run(self):
        if self._control_endpoint is None:
            while not self._stop.wait(self._flush_interval):
                self._timer_flush()
            return
        flush_link.run(self._control_endpoint, flush_link.hello_message(self._service, self._version), self._stop,
                       self._flush_interval, self._control_silence, self._timer_flush, self._answer_flush)

    def close(self):
        """Stops the flush thread, drains once more and closes the sockets (they linger to deliver)."""
        self._stop.set()
        self._thread.join()
        self.flush()
        self._bus.close()
