"""What the bench/pipeline drivers share: starting, reading, measuring and stopping processes.

Imported by broker_compare and pipeline_throughput (which sit beside it); standard library only.
"""
import os
import select
import signal
import socket
import subprocess
import time

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class RunError(Exception):
    pass


def cpu_seconds(pid):
    """utime + stime of a process, all its threads, in seconds (fields 14 and 15 of /proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


class StealMeter:
    """The share of the machine's CPU time the hypervisor gave to others (steal, /proc/stat) since
    the meter was made: on a virtual machine it makes every figure move, so drivers print it."""

    def __init__(self):
        self.start = self._read()

    @staticmethod
    def _read():
        with open("/proc/stat") as f:
            values = [int(v) for v in f.readline().split()[1:]]
        steal = values[7] if len(values) > 7 else 0
        return steal, sum(values[:8])

    def share(self):
        steal, total = self._read()
        elapsed = total - self.start[1]
        return (steal - self.start[0]) / elapsed if elapsed > 0 else 0.0

    def summary(self):
        return f"CPU time stolen by the hypervisor during the runs: {100 * self.share():.0f}%"


def peak_rss_kib(pid):
    """The process's peak resident set size (VmHWM of /proc/PID/status), in KiB; None for a zombie."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return None


def child_pids(pid):
    """The direct children of a process, from /proc/PID/task/*/children (any thread may have forked)."""
    children = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except FileNotFoundError:
        return children
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                children.extend(int(c) for c in f.read().split())
        except FileNotFoundError:
            continue
    return sorted(set(children))


def read_line(process, deadline, what):
    """The next stdout line of `process`, or RunError at `deadline`."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RunError(f"timed out waiting for {what}")
        ready, _, _ = select.select([process.stdout], [], [], left)
        if ready:
            line = process.stdout.readline()
            if not line:
                raise RunError(f"{what}: the process ended (exit {process.wait()})")
            return line.strip()


def wait_for(process, text, deadline, what):
    """Reads `process`'s stdout up to the first line containing `text`, and returns that line."""
    while True:
        line = read_line(process, deadline, what)
        if text in line:
            return line


def stop(process, timeout=10):
    """SIGTERM, then SIGKILL if it has not ended within `timeout`; returns its exit code."""
    if process is None:
        return None
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, deadline):
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RunError(f"nothing listens on port {port}")


def log_tail(path, size=2000):
    """The end of a log file, for a failure message ("" if there is none)."""
    try:
        with open(path, errors="replace") as f:
            return f.read()[-size:]
    except OSError:
        return ""


def die_with_parent():
    """For Popen(preexec_fn=...): the child gets SIGTERM when the driver dies, even by SIGKILL (a
    ctest timeout), so no benchmark process outlives its driver (prctl PR_SET_PDEATHSIG)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG


def raise_on_sigterm():
    """A SIGTERM to the driver unwinds like Ctrl-C, so its `finally` blocks stop what it started."""

    def handler(signo, frame):
        raise KeyboardInterrupt(f"signal {signo}")

    signal.signal(signal.SIGTERM, handler)
