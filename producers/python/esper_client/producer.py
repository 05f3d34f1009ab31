"""Producer: the producer-side buffer of producers/telemetry_buffer.h in front of a BusPublisher.
record_metric() and record_event() never block and never do I/O; the bounded buffer drops its
oldest item when full and counts it; a background thread drains it into TelemetryPackets; HIGH and
CRITICAL events skip the buffer. Under Weatherlight (ESPER_CONTROL_ENDPOINT and ESPER_SERVICE_NAME
in the environment) that thread speaks the flush protocol (flush_link.py); without Weatherlight it
drains every flush interval. Either way it also drains as soon as a batch is buffered
(`drain_batch_points` items, or `drain_batch_bytes` of encoded points and events, whichever comes
first): the recording thread wakes it (drain_wakeup.py), so a fast producer is not held to what the
buffer can hold between two flushes, and `capacity` is a bound on memory for when the bus refuses.

FLUSHED counts, as producers/service_runtime.h does: packets and points published and items dropped
since the previous FLUSHED, by every drain in between (batch, own timer, flush()) and the FLUSH's
own; depth is what the buffer holds after the FLUSH's drain.
"""

import collections
import os
import select
import threading
import time

from esper import envelope_pb2
from esper import telemetry_pb2

from . import flush_link
from .drain_wakeup import DrainWakeup
from .wire import GAUGE, HIGH, INFO, make_point, now_unix_ns


class Producer:
    """The bounded buffer and the flush thread in front of a BusPublisher.

    `control_endpoint` and `service` default to $ESPER_CONTROL_ENDPOINT and $ESPER_SERVICE_NAME (set
    by Weatherlight for its children); with no control endpoint the producer drains on its timer.
    """

    def __init__(self, publisher, capacity=10000, max_points_per_packet=500, flush_interval_s=1.0,
                 control_endpoint=None, service=None, version="", control_silence_s=3.0,
                 drain_batch_points=1000, drain_batch_bytes=64 * 1024):
        self._bus = publisher
        self._capacity = max(1, capacity)
        self._per_packet = max(1, max_points_per_packet)
        # 0 turns a trigger off; a full buffer is always a batch.
        self._batch_points = min(max(0, drain_batch_points), self._capacity)
        self._batch_bytes = max(0, drain_batch_bytes)
        self._flush_interval = flush_interval_s
        self._control_endpoint = control_endpoint or os.environ.get("ESPER_CONTROL_ENDPOINT") or None
        self._service = service or os.environ.get("ESPER_SERVICE_NAME") or publisher.source
        self._version = version
        self._control_silence = control_silence_s
        self.flushes_answered = 0
        self.timer_flushes = 0
        self.batch_drains = 0
        self.points_published = 0
        self._lock = threading.Lock()      # The buffer.
        self._bus_lock = threading.Lock()  # The publisher: flush thread and emergency callers.
        self._drain_lock = threading.Lock()  # One drainer at a time (flush thread or flush()).
        self._points = collections.deque()
        self._events = collections.deque()
        self._bytes = 0                    # Encoded size of what is buffered.
        self._batch_signalled = False      # The flush thread was woken since the last drain began.
        self._wakeup = DrainWakeup()
        # What the drains since the previous FLUSHED published (under _drain_lock).
        self._since_flushed_packets = 0
        self._since_flushed_points = 0
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
        item = (self._points if self._points else self._events).popleft()
        if self._batch_bytes:
            self._bytes = max(0, self._bytes - item.ByteSize())
        self.dropped_total += 1

    def _batch_ready_locked(self):
        return ((self._batch_points and len(self._points) + len(self._events) >= self._batch_points)
                or (self._batch_bytes and self._bytes >= self._batch_bytes))

    def _add_locked(self, item):
        """Counts a buffered item in; True when it made a batch ready (wake the flush thread)."""
        if self._batch_bytes:
            self._bytes += item.ByteSize()
        if self._batch_signalled or not self._batch_ready_locked():
            return False
        self._batch_signalled = True
        return True

    def record_metric(self, name, value, unit, kind=GAUGE, attributes=None, step=None):
        point = make_point(name, value, unit, kind, attributes, step)
        with self._lock:
            self._make_room_locked()
            self._points.append(point)
            ready = self._add_locked(point)
        if ready:
            self._wakeup.notify()

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
            ready = self._add_locked(event)
        if ready:
            self._wakeup.notify()
        return True

    def flush(self):
        """Publishes everything buffered, in packets; returns the number of points published."""
        return self._counted_drain()[1]

    def _counted_drain(self):
        """_drain(), counted towards the next FLUSHED."""
        with self._drain_lock:
            packets, points, left = self._drain()
            self._since_flushed_packets += packets
            self._since_flushed_points += points
            self.points_published += points
        return packets, points, left

    def _drain(self):
        """Publishes the buffer; returns (packets, points) published and how many items it left.

        What it leaves is what the bus refused, put back at the front of the buffer; points recorded
        while it ran belong to the next drain and are not counted."""
        with self._lock:
            points, self._points = self._points, collections.deque()
            events, self._events = self._events, collections.deque()
            self._bytes = 0
            self._batch_signalled = False  # What is recorded from now on may make the next batch.
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
                    if self._batch_bytes:
                        self._bytes = sum(item.ByteSize() for item in self._points) + sum(
                            item.ByteSize() for item in self._events)
                break
            published += len(packet.metrics)
            packets += 1
        return packets, published, left

    def _timer_flush(self):
        self.flush()
        self.timer_flushes += 1

    def _batch_drain(self):
        """Drains if a recording thread said a batch is ready; True if it did."""
        # The stop flag first: close() sets it before it notifies, so a wake-up this consumes after
        # seeing no stop is answered by a drain and the loop sees the stop next.
        if self._stop.is_set() or not self._wakeup.clear():
            return False
        self._counted_drain()
        self.batch_drains += 1
        return True

    def _answer_flush(self):
        """The drain for a FLUSH and the counts of its FLUSHED: (packets, points, dropped, depth)."""
        with self._drain_lock:
            packets, points, depth = self._drain()
            self.points_published += points
            packets += self._since_flushed_packets
            points += self._since_flushed_points
            self._since_flushed_packets = 0
            self._since_flushed_points = 0
        with self._lock:
            dropped = self.dropped_total - self._dropped_reported
            self._dropped_reported = self.dropped_total
        # State first, reply second: whoever sees FLUSHED also sees the counters.
        self.flushes_answered += 1
        return packets, points, dropped, depth

    def _run(self):
        if self._control_endpoint is None:
            next_timer = time.monotonic() + self._flush_interval
            while not self._stop.is_set():
                if self._batch_drain():
                    continue
                now = time.monotonic()
                if now >= next_timer:
                    self._timer_flush()
                    next_timer = now + self._flush_interval
                    continue
                select.select([self._wakeup], [], [], min(0.1, next_timer - now))
            return
        flush_link.run(self._control_endpoint, flush_link.hello_message(self._service, self._version), self._stop,
                       self._flush_interval, self._control_silence, self._timer_flush, self._answer_flush,
                       self._wakeup, self._batch_drain)

    def close(self):
        """Stops the flush thread, drains once more and closes the sockets (they linger to deliver)."""
        self._stop.set()
        self._wakeup.notify()  # The flush thread sees the stop now, not at its next timeout.
        self._thread.join()
        self.flush()
        self._bus.close()
        self._wakeup.close()
