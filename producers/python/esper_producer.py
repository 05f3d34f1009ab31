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
Weatherlight it drains every flush interval.

BusSubscriber follows the bus as oona/bus_subscriber.h does, through the egress protocol of
oona/egress_protocol.h: a DEALER socket per egress lane says HELLO (its name, topic prefixes and
credit window) and returns credit as the caller consumes envelopes, so Oona never sends it more
than it reads; if it stops reading, only its own queue in Oona fills, and Oona says how many it
shed (`missed`). A notebook can follow the bus with it.

The message classes come from the project's .proto files, generated at build time by the Debian
protoc (`protoc --python_out`) into the build directory; put that directory on PYTHONPATH.
"""

import collections
import hashlib
import hmac
import os
import socket
import sys
import threading
import time

import zmq

from esper import control_pb2
from esper import envelope_pb2
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


def default_runtime_dir():
    """$RUNTIME_DIRECTORY (systemd), else $XDG_RUNTIME_DIR/esper, else /tmp/esper-<uid>."""
    if os.environ.get("RUNTIME_DIRECTORY"):
        return os.environ["RUNTIME_DIRECTORY"]
    if os.environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(os.environ["XDG_RUNTIME_DIR"], "esper")
    return "/tmp/esper-%d" % os.getuid()


def endpoints_under(runtime_dir):
    """Oona's default ipc:// endpoints under a runtime directory (oona/bus_endpoints.cc)."""
    def ipc(name):
        return "ipc://" + os.path.join(runtime_dir, name)
    return {
        "normal_ingress": ipc("oona-normal-in.sock"),
        "emergency_ingress": ipc("oona-emergency-in.sock"),
        "normal_egress": ipc("oona-normal-out.sock"),
        "emergency_egress": ipc("oona-emergency-out.sock"),
    }


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


def parse_hex_key(text):
    """A signing key written as 64 hex digits (oona/envelope_signer.h)."""
    key = bytes.fromhex(text.strip())
    if len(key) != 32:
        raise ValueError("signing key must be 32 bytes")
    return key


def read_secret_key_file(path, allow_insecure_permissions=False):
    """The text of a key file; refused if its group or others may access it (oona/key_file.h)."""
    with open(path, "rb") as f:
        mode = os.fstat(f.fileno()).st_mode
        if mode & 0o077:
            message = ("key file %s has mode %04o: its group or others may access it; chmod 600 it "
                       "(or set allow_insecure_key_permissions: true to accept it)" % (path, mode & 0o7777))
            if not allow_insecure_permissions:
                raise ValueError(message)
            print("WARNING: INSECURE: " + message, file=sys.stderr, flush=True)
        return f.read().decode("ascii", errors="replace")


def read_bus_config(path, runtime_dir=None):
    """Where the bus is and its signing key, from the YAML config every Esper process reads
    (oona/bus_location_config.h): runtime_dir, endpoints:, signing: (key_file or key_hex) and
    allow_insecure_key_permissions. Other keys are left to the programs that own them.

    Returns {"runtime_dir", "endpoints", "signing_key"} (signing_key None when signing is off);
    `runtime_dir` (a --runtime-dir flag) wins over the file's. Raises ValueError naming the file.
    """
    import yaml  # Debian's python3-yaml; only configs need it.

    with open(path) as f:
        root = yaml.safe_load(f) or {}
    if not isinstance(root, dict):
        raise ValueError("%s: the config must be a mapping" % path)
    if root.get("client_curve"):
        raise ValueError("%s: client_curve: the Python client does not speak CURVE" % path)
    allow_insecure = bool(root.get("allow_insecure_key_permissions", False))
    runtime_dir = runtime_dir or root.get("runtime_dir") or default_runtime_dir()
    endpoints = endpoints_under(runtime_dir)
    for name, value in (root.get("endpoints") or {}).items():
        if name not in endpoints:
            raise ValueError("%s: endpoints.%s: unknown endpoint" % (path, name))
        if not (str(value).startswith("ipc://") or str(value).startswith("tcp://")):
            raise ValueError("%s: endpoints.%s: must be an ipc:// or tcp:// endpoint" % (path, name))
        endpoints[name] = str(value)
    key = None
    signing = root.get("signing")
    if signing is not None:
        if not isinstance(signing, dict) or ("key_file" in signing) == ("key_hex" in signing):
            raise ValueError("%s: signing: give exactly one of key_file and key_hex" % path)
        try:
            text = (read_secret_key_file(signing["key_file"], allow_insecure) if "key_file" in signing
                    else str(signing["key_hex"]))
            key = parse_hex_key(text)
        except (OSError, ValueError) as error:
            raise ValueError("%s: signing: %s" % (path, error)) from error
    return {"runtime_dir": runtime_dir, "endpoints": endpoints, "signing_key": key}


class BusPublisher:
    """PUSH sockets to both ingress endpoints; publish() stamps and sends one envelope.

    Not thread-safe (like the C++ one); Producer serialises its callers.
    """

    def __init__(self, endpoints, source, instance=None, send_timeout_ms=100, send_hwm=10000,
                 linger_ms=1000, signing_key=None, context=None):
        if not is_valid_source(source):
            raise ValueError("invalid source %r: 1..64 characters of [A-Za-z0-9_-]" % source)
        self.source = source
        self.instance = instance or default_instance()
        self._signing_key = signing_key
        self._context = context or zmq.Context.instance()
        self._sockets = {}
        for lane, endpoint in (("normal", endpoints["normal_ingress"]),
                               ("emergency", endpoints["emergency_ingress"])):
            s = self._context.socket(zmq.PUSH)
            s.setsockopt(zmq.SNDHWM, send_hwm)
            s.setsockopt(zmq.SNDTIMEO, send_timeout_ms)
            s.setsockopt(zmq.LINGER, linger_ms)
            s.connect(endpoint)
            self._sockets[lane] = s
        # Sequence numbers per stream (normal, reliable, emergency), as the receivers' gap
        # tracking expects (oona/sequence_tracker.h).
        self._sequence = {"normal": 0, "reliable": 0, "emergency": 0}
        self.sent = {"normal": 0, "emergency": 0}
        self.unsent = {"normal": 0, "emergency": 0}

    def publish(self, envelope):
        """Stamps and sends `envelope`; False if it could not be queued within the send timeout."""
        envelope.schema_version = SCHEMA_VERSION
        envelope.source = self.source
        envelope.instance = self.instance
        envelope.demoted = False  # Only Oona demotes.
        topic = topic_for(envelope)
        # Reliable kinds go out on the normal socket; only emergency has its own.
        lane = "emergency" if topic.startswith("emergency.") else "normal"
        stream = topic.split(".", 1)[0]  # normal, reliable or emergency
        self._sequence[stream] += 1
        envelope.sequence = self._sequence[stream]
        envelope.sent_unix_ns = now_unix_ns()
        envelope.ClearField("signature")
        if self._signing_key is not None:
            mac = hmac.new(self._signing_key, topic.encode(), hashlib.sha256)
            mac.update(envelope.SerializeToString(deterministic=True))
            envelope.signature = mac.digest()
        payload = envelope.SerializeToString()
        try:
            self._sockets[lane].send_multipart([topic.encode(), payload])
        except zmq.Again:
            self.unsent[lane] += 1
            return False
        self.sent[lane] += 1
        return True

    def close(self):
        for s in self._sockets.values():
            s.close()


_HELLO_MARKER = b"esper-hello/1"  # oona/egress_protocol.h
_HEARTBEAT_S = 1.0


def default_subscriber_name():
    """"<program>@<hostname>:<pid>", as the C++ client names itself."""
    program = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    return "%s@%s" % (program, default_instance())


class BusSubscriber:
    """DEALER sockets to Oona's egress endpoints; receive() returns the next envelope, emergency first.

    Each received envelope is a (lane socket, topic, Envelope) tuple. Envelopes that do not parse,
    or whose topic disagrees with their body, are counted in `rejected` and skipped; with a signing
    key, unsigned and badly signed ones too. Call receive() at least every few seconds: Oona forgets
    a subscriber it has not heard from for its subscriber_timeout (30 s by default). Not thread-safe.
    """

    def __init__(self, endpoints, name=None, prefixes=("",), normal=True, emergency=True,
                 credit_window=1000, signing_key=None, context=None):
        self.name = name or default_subscriber_name()
        self._prefixes = [p.encode() for p in prefixes]
        self._window = max(1, int(credit_window))
        self._signing_key = signing_key
        self._context = context or zmq.Context.instance()
        self._lanes = []  # [lane, socket, state], emergency first.
        for lane, wanted, endpoint in (("emergency", emergency, endpoints["emergency_egress"]),
                                       ("normal", normal, endpoints["normal_egress"])):
            if not wanted:
                continue
            s = self._context.socket(zmq.DEALER)
            s.setsockopt(zmq.LINGER, 0)
            s.connect(endpoint)
            state = {"consumed": 0, "reported": 0, "last_hello": None}
            self._lanes.append((lane, s, state))
            self._hello(s, state, force=True)
        self.missed = 0
        self.rejected = 0
        self.received = 0

    def _hello(self, socket_, state, force=False, drained=False):
        now = time.monotonic()
        unreported = state["consumed"] - state["reported"]
        # Credit goes back after a quarter window, and whenever the socket ran dry (Oona may have
        # capped the window below what was asked).
        credit_due = unreported >= max(1, self._window // 4) or (drained and unreported > 0)
        heartbeat_due = state["last_hello"] is None or now - state["last_hello"] >= _HEARTBEAT_S
        if not (force or credit_due or heartbeat_due):
            return
        frames = [_HELLO_MARKER, self.name.encode(), str(self._window).encode(),
                  str(state["consumed"]).encode()] + self._prefixes
        try:
            socket_.send_multipart(frames, zmq.NOBLOCK)
        except zmq.Again:
            return  # Said again at the next chance.
        state["reported"] = state["consumed"]
        state["last_hello"] = now

    def _accept(self, topic, payload):
        envelope = envelope_pb2.Envelope()
        try:
            envelope.ParseFromString(payload)
            expected = topic_for(envelope)
        except Exception:
            return None
        if expected != topic:
            return None
        if self._signing_key is not None:
            signature = envelope.signature
            unsigned = envelope_pb2.Envelope()
            unsigned.CopyFrom(envelope)
            unsigned.ClearField("signature")
            mac = hmac.new(self._signing_key, topic.encode(), hashlib.sha256)
            mac.update(unsigned.SerializeToString(deterministic=True))
            if not signature or not hmac.compare_digest(signature, mac.digest()):
                return None
        return envelope

    def _try_read(self, lane, socket_, state):
        while True:
            try:
                frames = socket_.recv_multipart(zmq.NOBLOCK)
            except zmq.Again:
                self._hello(socket_, state, drained=True)
                return None
            if frames and frames[0] == b"":  # A notice from Oona: ["", "dropped", count].
                if len(frames) == 3 and frames[1] == b"dropped" and frames[2].isdigit():
                    self.missed += int(frames[2])
                continue
            state["consumed"] += 1
            self._hello(socket_, state)
            if len(frames) != 2:
                self.rejected += 1
                continue
            topic = frames[0].decode("utf-8", "replace")
            envelope = self._accept(topic, frames[1])
            if envelope is None:
                self.rejected += 1
                continue
            self.received += 1
            return lane, topic, envelope

    def receive(self, timeout_s=1.0):
        """The next (lane, topic, envelope), emergency first; None if nothing came within timeout_s."""
        deadline = time.monotonic() + timeout_s
        poller = zmq.Poller()
        for _, s, _ in self._lanes:
            poller.register(s, zmq.POLLIN)
        while True:
            for lane, s, state in self._lanes:
                message = self._try_read(lane, s, state)
                if message is not None:
                    return message
            for _, s, state in self._lanes:
                self._hello(s, state)
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            poller.poll(int(1000 * min(left, _HEARTBEAT_S)))

    def close(self):
        for _, s, _ in self._lanes:
            s.close()


def make_point(name, value, unit, kind=GAUGE, attributes=None, step=None, timestamp_unix_ns=0):
    p = telemetry_pb2.MetricPoint(name=name, value=float(value), unit=unit, kind=kind,
                                  timestamp_unix_ns=timestamp_unix_ns or now_unix_ns())
    for k, v in (attributes or {}).items():
        p.attributes[k] = str(v)
    if step is not None:
        p.step = int(step)
    return p


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

    def _run(self):
        if self._control_endpoint is None:
            while not self._stop.wait(self._flush_interval):
                self.flush()
                self.timer_flushes += 1
            return
        self._run_supervised()

    def _run_supervised(self):
        """The flush protocol on a DEALER socket to Weatherlight's control endpoint."""
        control = zmq.Context.instance().socket(zmq.DEALER)
        control.setsockopt(zmq.LINGER, 0)
        control.connect(self._control_endpoint)
        hello = control_pb2.Control()
        hello.hello.service = self._service
        hello.hello.pid = os.getpid()
        hello.hello.version = self._version
        hello_bytes = hello.SerializeToString()
        last_flush = None  # monotonic time of the last FLUSH; None: never supervised.
        last_hello = None
        next_timer = time.monotonic() + self._flush_interval
        dropped_reported = 0

        def send(data):
            try:
                control.send(data, zmq.NOBLOCK)
                return True
            except zmq.Again:
                return False

        try:
            while not self._stop.is_set():
                now = time.monotonic()
                supervised = last_flush is not None and now - last_flush < self._control_silence
                if not supervised and (last_hello is None or now - last_hello >= self._control_silence):
                    # First contact, or Weatherlight went quiet (restarted, say): introduce ourselves.
                    if send(hello_bytes):
                        last_hello = now
                if not supervised and now >= next_timer:
                    self.flush()
                    self.timer_flushes += 1
                    next_timer = now + self._flush_interval
                timeout_ms = int(1000 * min(0.1, max(0.0, next_timer - now)))
                if not control.poll(timeout_ms):
                    continue
                while True:
                    try:
                        frame = control.recv(zmq.NOBLOCK)
                    except zmq.Again:
                        break
                    message = control_pb2.Control()
                    try:
                        message.ParseFromString(frame)
                    except Exception:  # A malformed frame is ignored, as the C++ runtime does.
                        continue
                    if not message.HasField("flush"):
                        continue
                    with self._drain_lock:
                        packets, points, depth = self._drain()
                    with self._lock:
                        dropped = self.dropped_total - dropped_reported
                        dropped_reported = self.dropped_total
                    reply = control_pb2.Control()
                    reply.flushed.seq = message.flush.seq
                    reply.flushed.packets = packets
                    reply.flushed.points = points
                    reply.flushed.dropped = dropped
                    reply.flushed.depth = depth
                    # State first, reply second: whoever sees FLUSHED also sees the counters.
                    self.flushes_answered += 1
                    last_flush = time.monotonic()
                    # While supervised the own timer stays quiet; it restarts after a silence.
                    next_timer = last_flush + self._control_silence
                    send(reply.SerializeToString())
        finally:
            control.close()

    def close(self):
        """Stops the flush thread, drains once more and closes the sockets (they linger to deliver)."""
        self._stop.set()
        self._thread.join()
        self.flush()
        self._bus.close()
