"""python -m esper.tail against a real oona: it follows both lanes, prints each envelope decoded
(--json: lane, topic and the envelope with its metrics' steps), and Ctrl-C (SIGINT) ends it with
exit 0."""

import json
import os
import pathlib
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import esper
from esper_processes import Oona

SOURCE = "py_tail"


def losses(line):
    """The train.loss points of a line esper.tail --json printed."""
    metrics = line["envelope"].get("telemetry", {}).get("metrics", [])
    return [p for p in metrics if p["name"] == "train.loss"]


class TailTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="esper-py-tail-")
        self.addCleanup(self.tmp.cleanup)
        self.run_dir = pathlib.Path(self.tmp.name) / "run"
        self.run_dir.mkdir(mode=0o700)
        self.oona = Oona(self.run_dir)
        self.addCleanup(self.oona.stop)

    def start_tail(self, *args):
        tail = subprocess.Popen([sys.executable, "-m", "esper.tail", "--runtime-dir", str(self.run_dir)] + list(args),
                                stdout=subprocess.PIPE, text=True, env=os.environ)

        def stop():
            if tail.poll() is None:
                tail.kill()
            tail.wait()
            tail.stdout.close()

        self.addCleanup(stop)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in tail.stdout], daemon=True).start()
        return tail, lines

    def test_follows_both_lanes_decoded_until_ctrl_c(self):
        tail, lines = self.start_tail("--prefix", "normal.telemetry.info." + SOURCE,
                                      "--prefix", "emergency.event.critical." + SOURCE, "--json")
        got = []
        with esper.Producer(SOURCE, runtime_dir=str(self.run_dir), flush_interval_s=0.05) as producer:
            # esper.tail has no ready line: log a stepped point until it prints one.
            deadline = time.monotonic() + 20
            step = 0
            while not any(losses(m) for m in got):
                self.assertLess(time.monotonic(), deadline, "esper.tail printed no train.loss within 20 s: %s" % got)
                step += 1
                producer.log({"train.loss": 0.5}, step=step)
                try:
                    got.append(json.loads(lines.get(timeout=0.2)))
                except queue.Empty:
                    pass
            self.assertTrue(producer.event("loss_diverged", esper.Severity.CRITICAL, {"step": step}))
            # Normal envelopes still in flight may come first.
            while got[-1]["lane"] != "emergency":
                try:
                    got.append(json.loads(lines.get(timeout=20)))
                except queue.Empty:
                    self.fail("esper.tail printed no emergency envelope within 20 s: %s" % got)
        tail.send_signal(signal.SIGINT)
        self.assertEqual(tail.wait(10), 0, "esper.tail did not exit 0 on SIGINT")

        normal, emergency = got[0], got[-1]
        self.assertEqual({m["lane"] for m in got[:-1]}, {"normal"})
        self.assertEqual(normal["lane"], "normal")
        self.assertEqual(normal["topic"], "normal.telemetry.info." + SOURCE)
        self.assertEqual(normal["envelope"]["source"], SOURCE)
        # The producer's own telemetry (producer.*) travels beside what it logged.
        point = next(p for m in got for p in losses(m))
        self.assertEqual(point["value"], 0.5)
        self.assertGreaterEqual(int(point["step"]), 1)
        self.assertEqual(emergency["lane"], "emergency")
        self.assertEqual(emergency["topic"], "emergency.event.critical." + SOURCE)
        self.assertEqual(emergency["envelope"]["event"]["description"], "loss_diverged")
        self.assertEqual(emergency["envelope"]["event"]["attributes"]["step"], str(step))


if __name__ == "__main__":
    unittest.main()
