"""BusSubscriber follows the bus as oona/bus_subscriber.h does, through the egress protocol of
oona/egress_protocol.h: a DEALER socket per egress lane says HELLO (its name, topic prefixes and
credit window) and returns credit as the caller consumes envelopes, so Oona never sends it more
than it reads; if it stops reading, only its own queue in Oona fills, and Oona says how many it
shed (`missed`). A notebook can follow the bus with it.
"""

import hmac
import os
import sys
import time

import zmq

from esper import envelope_pb2

from .wire import default_instance, signature, topic_for

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
            unsigned = envelope_pb2.Envelope()
            unsigned.CopyFrom(envelope)
            unsigned.ClearField("signature")
            if not envelope.signature or not hmac.compare_digest(envelope.signature,
                                                                 signature(self._signing_key, topic, unsigned)):
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
