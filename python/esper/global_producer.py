"""Module-level use, for scripts: esper.init(...) once, then esper.log(...) anywhere. The producer
is closed (flushed) at exit and on SIGTERM, or by esper.finish()."""

from typing import Mapping, Optional

from esper.producer import Producer

_producer: Optional[Producer] = None


def init(service: str, **options) -> Producer:
    """Opens the process's producer (esper.Producer(service, **options)); closes a previous one."""
    global _producer
    if _producer is not None:
        _producer.close()
    _producer = Producer(service, **options)
    return _producer


def get_producer() -> Producer:
    if _producer is None or _producer.closed:
        raise RuntimeError("esper.init(service) has not been called")
    return _producer


def log(metrics: Mapping[str, object], step: Optional[int] = None, **options) -> int:
    return get_producer().log(metrics, step, **options)


def event(description: str, severity=2, attributes=None) -> bool:
    return get_producer().event(description, severity, attributes)


def field_report(command_id: str, **fields) -> str:
    return get_producer().field_report(command_id, **fields)


def flush(timeout_s: float = 5.0) -> bool:
    return get_producer().flush(timeout_s)


def finish() -> None:
    """Closes the module-level producer (publishing what is buffered)."""
    global _producer
    if _producer is not None:
        _producer.close()
        _producer = None
