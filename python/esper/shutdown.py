"""Flushing on the way out: at interpreter exit (atexit) and on SIGTERM, which Weatherlight and
most schedulers send to stop a process. SIGTERM closes every open Producer (publishing what is
buffered; field reports are in their WAL already) and then ends the program with SystemExit(0), as
Esper's services exit 0 on a stop signal; a SIGTERM handler the program had installed before is
called instead of the exit. Handlers can only be installed from the main thread: a Producer made on
another thread gets atexit only."""

import atexit
import signal
import threading
import weakref

_open = weakref.WeakSet()
_lock = threading.Lock()
_installed = False
_previous = None


def _close_all():
    for producer in list(_open):
        producer.close()


def _on_sigterm(signum, frame):
    _close_all()
    if callable(_previous):
        _previous(signum, frame)
        return
    raise SystemExit(0)


def register(producer, handle_sigterm):
    """Closes `producer` at exit, and on SIGTERM when `handle_sigterm`."""
    global _installed, _previous
    with _lock:
        _open.add(producer)
        if handle_sigterm and not _installed and threading.current_thread() is threading.main_thread():
            _previous = signal.signal(signal.SIGTERM, _on_sigterm)
            _installed = True


def unregister(producer):
    _open.discard(producer)


atexit.register(_close_all)
