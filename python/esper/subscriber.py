"""esper.Subscriber: reading Esper's bus from Python, through the C++ bus subscriber
(oona/bus_subscriber.h): the egress protocol with credit, the emergency lane read first, every
envelope decoded and (with a signing key in the config) verified before it is handed over."""

import os
from typing import Iterator, NamedTuple, Optional, Sequence

from esper import _native
from esper.proto import envelope_pb2


class Message(NamedTuple):
    lane: str      # The egress it came on: "normal" or "emergency".
    topic: str     # <lane>.<kind>.<severity>.<source>
    envelope: envelope_pb2.Envelope


class Subscriber:
    """Subscribes to topic `prefixes` ("normal.telemetry.", "reliable.", ...; default everything)
    on the lanes asked for. `runtime_dir` and `config` locate the bus as for Producer."""

    def __init__(self, *, runtime_dir: Optional[str] = None, config: Optional[str] = None, name: str = "",
                 prefixes: Sequence[str] = ("",), normal: bool = True, emergency: bool = True):
        self._native = _native.NativeSubscriber(
            runtime_dir=os.fspath(runtime_dir or ""), config=os.fspath(config or ""), name=name,
            prefixes=list(prefixes), normal=normal, emergency=emergency)

    def receive(self, timeout_s: float = 1.0) -> Optional[Message]:
        """The next envelope, emergency first; None if none came within the timeout."""
        got = self._native.receive(timeout_s)
        if got is None:
            return None
        lane, topic, data = got
        return Message(lane, topic, envelope_pb2.Envelope.FromString(data))

    def __iter__(self) -> Iterator[Message]:
        """Envelopes as they come, for ever."""
        while True:
            m = self.receive(1.0)
            if m is not None:
                yield m

    @property
    def received(self) -> int:
        return self._native.received

    @property
    def rejected(self) -> int:
        """Envelopes refused (bad encoding, bad or missing signature, replay)."""
        return self._native.rejected

    @property
    def missed(self) -> int:
        """Envelopes Oona shed for this subscriber because its queue there was full."""
        return self._native.missed

    def connected(self) -> bool:
        return self._native.connected()
