"""Real oona, nissa and weatherlight processes for the Python package's tests and benchmark, as
tests/support/oona_process.h, nissa_process.h and weatherlight_process.h start them for the C++
tests: a config in a temporary directory, the built binaries from $ESPER_BINARY_DIR, and each
process's ready line awaited on its output. Stopped with SIGTERM (then SIGKILL) by the pid each
Popen started, nothing else."""

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
    """A built binary whose output lines are kept (stderr too when `merge_stderr`), started and
    awaited until a line contains `ready_text`."""

    def __init__(self, argv, ready_text, timeout_s=30.0, merge_stderr=False):
        self.argv = argv
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT if merge_stderr else subprocess.DEVNULL, text=True)
        self.lines = []
        self._changed = threading.Condition()
        self._ended = False

        def read():
            for line in self.proc.stdout:
                with self._changed:
                    self.lines.append(line.rstrip("\n"))
                    self._changed.notify_all()
            with self._changed:
                self._ended = True
                self._changed.notify_all()

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        self.ready_line = self.wait_for_line(ready_text, timeout_s)
        if self.ready_line is None:
            self.stop()
            raise RuntimeError("%s did not say '%s' within %.0f s; it said:\n%s"
                               % (argv[0], ready_text, timeout_s, "\n".join(self.lines[-30:])))

    def wait_for_line(self, text, timeout_s):
        """The first line containing `text`, waiting up to `timeout_s` for it; None if none came."""
        deadline = time.monotonic() + timeout_s
        with self._changed:
            while True:
                for line in self.lines:
                    if text in line:
                        return line
                left = deadline - time.monotonic()
                if self._ended or left <= 0:
                    return None
                self._changed.wait(left)

    def output(self):
        with self._changed:
            return "\n".join(self.lines)

    def stop(self):
        """SIGTERM, then SIGKILL after 10 s; the exit status."""
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
        return self.proc.returncode


class Oona(_Process):
    """oona with its endpoints under `runtime_dir`; `extra_yaml`: more top-level keys of its config
    (a `signing:` section)."""

    def __init__(self, runtime_dir, extra_yaml=""):
        self.runtime_dir = pathlib.Path(runtime_dir)
        config = self.runtime_dir / "oona.yaml"
        config.write_text("runtime_dir: %s\nflush_interval: 100ms\n%s" % (self.runtime_dir, extra_yaml))
        super().__init__([str(binary_dir() / "oona" / "oona"), "--config", str(config)], "oona ready")


class Nissa(_Process):
    """nissa on the bus under `runtime_dir`, its state in `state_dir`, HTTP on a free loopback port;
    `extra_yaml`: more top-level keys of its config (an `export:` section)."""

    def __init__(self, runtime_dir, state_dir, extra_yaml=""):
        state_dir = pathlib.Path(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        config = state_dir.parent / "nissa.yaml"
        config.write_text("runtime_dir: %s\nstate_dir: %s\nhttp: {address: 127.0.0.1, port: 0}\n"
                          "telemetry_interval: 200ms\n%s" % (runtime_dir, state_dir, extra_yaml))
        super().__init__([str(binary_dir() / "nissa" / "nissa"), "--config", str(config)], "nissa ready")
        self.url = self.ready_line[self.ready_line.index("http://"):].split()[0]

    def get(self, path):
        with urllib.request.urlopen(self.url + path, timeout=10) as reply:
            return json.loads(reply.read())

    def series(self, **query):
        q = "&".join("%s=%s" % kv for kv in query.items())
        return self.get("/api/v1/series" + ("?" + q if q else ""))["series"]


class Weatherlight(_Process):
    """weatherlight supervising `services` (YAML of the `services:` map, indented two spaces) with
    its config in `config_dir`, publishing on the bus of the oona under `runtime_dir`, a flush tick
    every `flush_interval`; its log (stderr) is kept with its stdout."""

    def __init__(self, runtime_dir, config_dir, services, flush_interval="200ms", timeout_s=30.0):
        config = pathlib.Path(config_dir) / "weatherlight.yaml"
        config.write_text("runtime_dir: %s\ncontrol_endpoint: ipc://%s\nflush_interval: %s\nstop_timeout: 10s\n"
                          "services:\n%s" % (runtime_dir, pathlib.Path(config_dir) / "control.sock",
                                              flush_interval, services))
        super().__init__([str(binary_dir() / "weatherlight" / "weatherlight"), "--config", str(config)],
                         "weatherlight ready", timeout_s, merge_stderr=True)


def wait_until(condition, timeout_s, interval_s=0.1):
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval_s)
