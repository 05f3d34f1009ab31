"""Esper's Python client: telemetry and field reports from a Python program (a trainer) to Esper's
bus, through the same C++ client the Esper producers link (esper._native).

    import esper

    with esper.Producer("trainer", units={"loss": "loss"}) as producer:
        for step in range(1000):
            producer.log({"loss": loss, "lr": (lr, "lr")}, step=step)
        producer.event("checkpoint_failed", esper.Severity.HIGH)   # emergency lane, at once
        producer.field_report("cmd-7", outcome="success", metrics={"loss_delta": -0.02})

or, module-level, ``esper.init("trainer")`` then ``esper.log(...)``. See esper.producer.Producer.
"""

from esper.severity import Severity
from esper.producer import Producer
from esper.subscriber import Message, Subscriber
from esper.global_producer import event, field_report, finish, flush, get_producer, init, log

__version__ = "0.1.0"

__all__ = [
    "Message",
    "Producer",
    "Severity",
    "Subscriber",
    "event",
    "field_report",
    "finish",
    "flush",
    "get_producer",
    "init",
    "log",
]
