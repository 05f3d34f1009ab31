"""DrainWakeup: how a recording thread wakes Producer's flush thread when a batch is ready, without
waiting for it, as producers/drain_wakeup.h does: an eventfd. notify() is one non-blocking write,
paid once per batch, not per point; the flush thread polls fd() beside its control socket and
calls clear() before it drains.
"""

import os


class DrainWakeup:
    def __init__(self):
        self._fd = os.eventfd(0, os.EFD_NONBLOCK | os.EFD_CLOEXEC)

    def fileno(self):
        return self._fd

    def notify(self):
        """Makes fileno() readable. Thread-safe, never blocks."""
        try:
            os.eventfd_write(self._fd, 1)
        except BlockingIOError:  # The counter is about to overflow: readable anyway.
            pass

    def clear(self):
        """Makes fileno() unreadable again; True if notify() was called since the last clear()."""
        try:
            return os.eventfd_read(self._fd) > 0
        except BlockingIOError:
            return False

    def close(self):
        os.close(self._fd)
