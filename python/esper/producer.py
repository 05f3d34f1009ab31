"""esper.Producer: telemetry and field reports from a Python program, through the C++ producer
client (producers/service_runtime.h) and field-report outbox (field_reports/outbox.h).

What it does, in the C++ underneath: log()/record() append to a bounded in-memory buffer (a lock
held for O(1), no I/O; when full the oldest points go and are counted), and a driver thread drains
it to Oona in packets: on each FLUSH from Weatherlight when ESPER_CONTROL_ENDPOINT and
ESPER_SERVICE_NAME are set (it says HELLO first, and ESPER_SERVICE_NAME is then its name), else on
its own timer, and whenever a batch is buffered. HIGH and CRITICAL events skip the buffer. A field
report is written to the outbox's WAL (fsynced) before field_report() returns, published, retried
with backoff until Nissa acknowledges it, and survives a crash: a Producer opened on the same
state_dir sends what the previous one left unacknowledged.
"""

import os
from typing import Dict, List, Mapping, Optional, Tuple, Union

from esper import _native
from esper import shutdown
from esper.severity import Severity

Number = Union[int, float]
MetricValue = Union[Number, Tuple[Number, str]]


class Producer:
    """One producer on Esper's bus, under the source name `service`.

    Args:
        service: The source name ([A-Za-z0-9_-], 1..64). Under Weatherlight, ESPER_SERVICE_NAME wins.
        runtime_dir: Where Oona's sockets are. Default: the config's runtime_dir, else
            $RUNTIME_DIRECTORY, $XDG_RUNTIME_DIR/esper or /tmp/esper-<uid>, as every Esper process.
        config: A bus YAML (runtime_dir, endpoints:, signing:, client_curve:), as Esper's services read.
        state_dir: The field-report outbox's directory (made 0700). Without it, no field reports.
        units: Default unit per metric name for log().
        capacity, max_points_per_packet, drain_batch_points, drain_batch_bytes, flush_interval_s:
            the buffer's knobs (README, "Producers").
        send_timeout_s: The longest the bus may block one send (drains, emergency events).
        report_retry_cap, report_initial_backoff_s, report_max_backoff_s: the outbox's retries.
        handle_sigterm: Close (flush) on SIGTERM, then exit 0 (esper.shutdown).

    Use it as a context manager, or call close(): both publish what is buffered.
    """

    def __init__(self, service: str, *, runtime_dir: Optional[str] = None, config: Optional[str] = None,
                 state_dir: Optional[str] = None, units: Optional[Mapping[str, str]] = None,
                 version: str = "dev", capacity: int = 100000, max_points_per_packet: int = 500,
                 drain_batch_points: int = 1000, drain_batch_bytes: int = 64 * 1024,
                 flush_interval_s: float = 1.0, send_timeout_s: float = 0.1, report_retry_cap: int = 5,
                 report_initial_backoff_s: float = 1.0, report_max_backoff_s: float = 60.0,
                 handle_sigterm: bool = True):
        if not isinstance(service, str):
            raise TypeError("service: expected str, got %s" % type(service).__name__)
        self._units: Dict[str, str] = dict(units or {})
        self._native = _native.NativeProducer(
            service, runtime_dir=os.fspath(runtime_dir or ""), config=os.fspath(config or ""),
            state_dir=os.fspath(state_dir or ""), version=version, capacity=capacity,
            max_points_per_packet=max_points_per_packet, drain_batch_points=drain_batch_points,
            drain_batch_bytes=drain_batch_bytes, flush_interval_s=flush_interval_s,
            send_timeout_s=send_timeout_s, report_retry_cap=report_retry_cap,
            report_initial_backoff_s=report_initial_backoff_s, report_max_backoff_s=report_max_backoff_s)
        # The hot path, without a Python frame in between: record(name, value, unit="", kind="gauge",
        # step=None, attributes=None). Never blocks.
        self.record = self._native.record
        shutdown.register(self, handle_sigterm)

    def record(self, name: str, value: Number, unit: str = "", kind: str = "gauge", step: Optional[int] = None,
               attributes: Optional[Mapping[str, object]] = None) -> None:
        """Buffers one point. Never blocks. This definition is what type checkers and help() see:
        __init__ binds each instance's record to the C++ call itself, without this frame."""
        self._native.record(name, value, unit, kind, step, attributes)

    def log(self, metrics: Mapping[str, MetricValue], step: Optional[int] = None, *,
            units: Optional[Mapping[str, str]] = None, attributes: Optional[Mapping[str, str]] = None,
            kind: str = "gauge") -> int:
        """Buffers one point per entry: `{"loss": 0.31, "lr": (3e-4, "lr")}`. A value is a number
        (int, float, numpy scalar, anything with __float__) or a (number, unit) pair; the unit is
        otherwise units[name], else the Producer's units[name], else "". Every point gets `step`,
        `kind` ("gauge", "counter", "histogram") and `attributes`. Never blocks. Returns how many
        points were buffered; a bad entry raises TypeError/ValueError and buffers none."""
        if not isinstance(metrics, dict):
            raise TypeError("metrics: expected a dict of name -> number, got %s" % type(metrics).__name__)
        if units:
            merged = dict(self._units)
            merged.update(units)
        else:
            merged = self._units
        return self._native.log(metrics, step, merged or None, kind, attributes)

    def event(self, description: str, severity: Union[Severity, int, str] = Severity.INFO,
              attributes: Optional[Mapping[str, object]] = None) -> bool:
        """An event: buffered, or for HIGH and CRITICAL published at once on the emergency lane
        (waiting at most send_timeout_s). False if that immediate publish was refused."""
        return self._native.event(description, severity, attributes)

    def field_report(self, command_id: str, *, outcome: Union[str, int] = "neutral",
                     metrics: Optional[Mapping[str, Number]] = None, training_run_id: str = "",
                     seed_id: str = "", blueprint_id: str = "", observation_window_epochs: int = 0,
                     target_epochs: int = 0, report_id: str = "") -> str:
        """Issues a field report (proto/esper/field_report.proto) and returns its id once it is
        durable in the outbox's WAL. It is then published and retried until Nissa acknowledges it,
        across restarts. outcome: "success", "neutral", "regression" or "aborted"."""
        return self._native.field_report(command_id, outcome, metrics, training_run_id, seed_id, blueprint_id,
                                         observation_window_epochs, target_epochs, report_id)

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Waits until what is buffered has been handed to the bus (by the next drain: a batch, a
        FLUSH or the own timer). False if the buffer was not empty within the timeout."""
        return self._native.flush(timeout_s)

    def wait_reports_settled(self, timeout_s: float = 10.0) -> bool:
        """Waits until every field report is acknowledged (or dropped after its retries)."""
        return self._native.wait_reports_settled(timeout_s)

    def pending_reports(self) -> List[str]:
        """Ids of the field reports not yet acknowledged, oldest first."""
        return self._native.pending_reports()

    def close(self) -> None:
        """Publishes what is buffered and stops the client's threads. Idempotent."""
        shutdown.unregister(self)
        self._native.close()

    def stats(self) -> Dict[str, object]:
        """Counters: recorded_points, points_published, dropped, depth, unsent_emergency, supervised,
        flushes_answered, ... and field_reports {pending, published, retries, settled, dropped}."""
        return self._native.stats()

    @property
    def service(self) -> str:
        return self._native.service

    @property
    def instance(self) -> str:
        return self._native.instance

    @property
    def closed(self) -> bool:
        return self._native.closed

    def __enter__(self) -> "Producer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
