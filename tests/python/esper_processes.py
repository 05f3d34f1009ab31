"""Real oona and nissa processes for the Python package's tests and benchmark, as
tests/support/oona_process.h and nissa_process.h start them for the C++ tests: a config in a
temporary directory, the built binaries from $ESPER_BINARY_DIR, and each process's ready line
awaited on its stdout. Stopped with SIGTERM (then SIGKILL) by the pid each Popen started, nothing
else."""

import json
import os
import pathlib
import subprocess
import threading
import time
import urllib.request


def binary_dir() -> pathlib.Path:
    return pathlib.Path(os.environ["ESPER_BINARY_DIR"])


class _Process:
    def __init__(self, argv, ready_text, timeout_s=30.0):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.ready_line = None
        found = threading.Event()

        def read():
            for line in self.proc.stdout:
                if self.ready_line is None and ready_text in line:
                    self.ready_line = line.strip()
                    found.set()
            found.set()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        if not found.wait(timeout_s) or self.ready_line is None:
            self.stop()
            raise RuntimeError("%s did not say '%s' within %.0f s" % (argv[0], ready_text, timeout_s))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(5)
        if self.proc.stdout:
            self.proc.stdout.close()


class Oona(_Process):
    """oona with its endpoints under `runtime_dir`."""

    def __init__(self, runtime_dir):
        self.runtime_dir = pathlib.Path(runtime_dir)
        config = self.runtime_dir / "oona.yaml"
        config.write_text("runtime_dir: %s\nflush_interval: 100ms\n" % self.runtime_dir)
        super().__init__([str(binary_dir() / "oona" / "oona"), "--config", str(config)], "oona ready")


class Nissa(_Process):
    """nissa on the bus under `runtime_dir`, its state in `state_dir`, HTTP on a free loopback port."""

    def __init__(self, runtime_dir, state_dir):
        state_dir = pathlib.Path(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        config = state_dir.parent / "nissa.yaml"
        config.write_text("runtime_dir: %s\nstate_dir: %s\nhttp: {address: 127.0.0.1, port: 0}\n"
                          "telemetry_interval: 200ms\n" % (runtime_dir, state_dir))
        super().__init__([str(binary_dir() / "nissa" / "nissa"), "--config", str(config)], "nissa ready")
        self.url = self.ready_line[self.ready_line.index("http://"):].split()[0]

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as reply:
            return json.loads(reply.read())

    def series(self, **query):
        q = "&".join("%s=%s" % kv for kv in query.items())
        return self.get("/api/v1/series" + ("?" + q if q else ""))["series"]


def wait_until(condition, timeout_s, interval_s=0.1):
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval_s)
