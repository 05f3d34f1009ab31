"""BusPublisher: PUSH sockets to Oona's normal and emergency ingress. It stamps every envelope as
oona/bus_publisher.cc does: schema version, source, instance ("<hostname>:<pid>"), a sequence
number per stream (normal, reliable, emergency) starting at 1, the send time and, with a signing
key, the signature. The lane is derived, never chosen: HIGH and CRITICAL telemetry and events go
to the emergency ingress.
"""

import zmq

from .wire import SCHEMA_VERSION, default_instance, is_valid_source, now_unix_ns, signature, topic_for


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
            envelope.signature = signature(self._signing_key, topic, envelope)
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
