"""The flush protocol a producer speaks with Weatherlight, as producers/service_runtime.h does: on
a DEALER socket to Weatherlight's control endpoint it says HELLO, answers each FLUSH with a drain
and a FLUSHED carrying the counts since the previous FLUSHED, drains on its own timer only while no
FLUSH has come for `control_silence_s` (saying HELLO again then: Weatherlight may have restarted),
and drains whenever the producer's buffer says a batch is ready.
"""

import os
import time

import zmq

from esper import control_pb2


def hello_message(service, version):
    hello = control_pb2.Control()
    hello.hello.service = service
    hello.hello.pid = os.getpid()
    hello.hello.version = version
    return hello.SerializeToString()


def run(endpoint, hello, stop, flush_interval_s, control_silence_s, on_timer, on_flush, wakeup=None,
        on_batch=None):
    """Speaks the protocol until the threading.Event `stop` is set.

    `hello` is the serialized HELLO. on_timer() drains on the own timer; on_flush() drains for a
    FLUSH and returns (packets, points, dropped, depth) for its FLUSHED, which goes out after it
    returned, so whoever sees FLUSHED also sees the drain's effects. When `wakeup` (anything with a
    fileno()) is readable, on_batch() drains a ready batch and returns whether it did.
    """
    control = zmq.Context.instance().socket(zmq.DEALER)
    control.setsockopt(zmq.LINGER, 0)
    control.connect(endpoint)
    poller = zmq.Poller()
    poller.register(control, zmq.POLLIN)
    if wakeup is not None:
        poller.register(wakeup, zmq.POLLIN)
    last_flush = None  # monotonic time of the last FLUSH; None: never supervised.
    last_hello = None
    next_timer = time.monotonic() + flush_interval_s

    def send(data):
        try:
            control.send(data, zmq.NOBLOCK)
            return True
        except zmq.Again:
            return False

    try:
        while not stop.is_set():
            now = time.monotonic()
            supervised = last_flush is not None and now - last_flush < control_silence_s
            if not supervised and (last_hello is None or now - last_hello >= control_silence_s):
                # First contact, or Weatherlight went quiet (restarted, say): introduce ourselves.
                if send(hello):
                    last_hello = now
            if not supervised and now >= next_timer:
                on_timer()
                next_timer = now + flush_interval_s
            if on_batch is not None and on_batch():
                # Look at the control socket before waiting: a FLUSH may have come meanwhile.
                timeout_ms = 0
            else:
                timeout_ms = int(1000 * min(0.1, max(0.0, next_timer - now)))
            if control not in dict(poller.poll(timeout_ms)):
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
                packets, points, dropped, depth = on_flush()
                reply = control_pb2.Control()
                reply.flushed.seq = message.flush.seq
                reply.flushed.packets = packets
                reply.flushed.points = points
                reply.flushed.dropped = dropped
                reply.flushed.depth = depth
                last_flush = time.monotonic()
                # While supervised the own timer stays quiet; it restarts after a silence.
                next_timer = last_flush + control_silence_s
                send(reply.SerializeToString())
    finally:
        control.close()
