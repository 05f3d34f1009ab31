"""The esper package against real oona and nissa processes: metrics logged from Python reach Nissa's
query API with their names, units and values, and the bus with their steps (Nissa's series API
keeps no step); HIGH events go out on the emergency lane; bad input raises a Python exception."""

import math
import pathlib
import signal
import subprocess
import sys
import tempfile
import time
import unittest

import esper
from esper_processes import Nissa, Oona, wait_until


class ProducerMetricsTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="esper-py-")
        self.run_dir = pathlib.Path(self.tmp.name) / "run"
        self.run_dir.mkdir(mode=0o700)
        self.oona = Oona(self.run_dir)
        self.nissa = Nissa(self.run_dir, pathlib.Path(self.tmp.name) / "state" / "nissa")

    def tearDown(self):
        self.nissa.stop()
        self.oona.stop()
        self.tmp.cleanup()

    def subscriber(self, **options):
        sub = esper.Subscriber(runtime_dir=str(self.run_dir), **options)
        self.assertTrue(wait_until(sub.connected, 10), "the subscriber did not connect to oona")
        return sub

    def test_metrics_reach_nissa_with_names_units_and_steps_on_the_bus(self):
        sub = self.subscriber(prefixes=["normal.telemetry."], emergency=False)
        with esper.Producer("py_metrics", runtime_dir=str(self.run_dir), units={"train.loss": "loss"},
                            flush_interval_s=0.1) as producer:
            for step in range(1, 21):
                producer.log({"train.loss": 1.0 / step, "train.lr": (0.01, "lr")}, step=step)
            producer.record("train.tokens", 640, "count", kind="counter", step=20)

        def series():
            got = {s["metric"]: s for s in self.nissa.series(source="py_metrics")}
            done = got.get("train.loss", {}).get("count") == 20 and got.get("train.lr", {}).get("count") == 20
            return got if done and "train.tokens" in got else None

        got = wait_until(series, 20)
        self.assertTrue(got, "nissa did not get the 41 points: %s" % self.nissa.series(source="py_metrics"))
        self.assertEqual(got["train.loss"]["unit"], "loss")
        self.assertEqual(got["train.lr"]["unit"], "lr")
        self.assertEqual(got["train.tokens"]["unit"], "count")
        self.assertEqual(got["train.tokens"]["kind"], "counter")
        self.assertTrue(math.isclose(got["train.loss"]["last"], 1.0 / 20))
        self.assertTrue(math.isclose(got["train.loss"]["max"], 1.0))

        # Oona's and Nissa's own telemetry flows too: read until the producer's steps are all in.
        steps = {}
        deadline = time.monotonic() + 20
        while len(steps.get("train.loss", [])) < 20 or len(steps.get("train.tokens", [])) < 1:
            m = sub.receive(1.0)
            self.assertLess(time.monotonic(), deadline, "the steps did not all arrive: %s" % steps)
            if m is None or m.envelope.source != "py_metrics":
                continue
            for p in m.envelope.telemetry.metrics:
                if p.name.startswith("train."):
                    steps.setdefault(p.name, []).append(p.step)
        self.assertEqual(steps["train.loss"], list(range(1, 21)))
        self.assertEqual(steps["train.lr"], list(range(1, 21)))
        self.assertEqual(steps["train.tokens"], [20])

    def test_high_and_critical_events_go_out_at_once_on_the_emergency_lane(self):
        sub = self.subscriber(normal=False, prefixes=["emergency."])
        # A long flush interval: only the emergency path can deliver these in time.
        with esper.Producer("py_events", runtime_dir=str(self.run_dir), flush_interval_s=60) as producer:
            self.assertTrue(producer.event("checkpoint_failed", esper.Severity.HIGH, {"step": 7}))
            self.assertTrue(producer.event("loss_diverged", "critical"))
            got = []
            while len(got) < 2:
                m = sub.receive(10.0)
                self.assertIsNotNone(m, "no emergency envelope within 10 s")
                got.append(m)
        self.assertEqual([m.lane for m in got], ["emergency", "emergency"])
        self.assertEqual([m.envelope.event.description for m in got], ["checkpoint_failed", "loss_diverged"])
        self.assertEqual(got[0].envelope.event.attributes["step"], "7")
        self.assertEqual(got[0].topic, "emergency.event.high.py_events")

    def test_sigterm_publishes_what_is_buffered_and_exits_0(self):
        # An hour's own timer and no batch: only the close on SIGTERM can publish the point.
        child = subprocess.Popen([sys.executable, "-c", (
            "import esper, time\n"
            "producer = esper.Producer('py_sigterm', runtime_dir=%r, flush_interval_s=3600)\n"
            "producer.log({'train.loss': 0.5}, step=1)\n"
            "print('ready', flush=True)\n"
            "time.sleep(60)\n") % str(self.run_dir)], stdout=subprocess.PIPE, text=True)
        self.assertEqual(child.stdout.readline().strip(), "ready")
        child.send_signal(signal.SIGTERM)
        self.assertEqual(child.wait(30), 0)
        child.stdout.close()
        got = wait_until(lambda: self.nissa.series(source="py_sigterm"), 20)
        self.assertEqual([(s["metric"], s["count"]) for s in got if s["metric"].startswith("train.")], [("train.loss", 1)])

    def test_bad_input_raises_a_python_exception(self):
        with esper.Producer("py_bad", runtime_dir=str(self.run_dir)) as producer:
            with self.assertRaisesRegex(TypeError, "metric 'loss': expected a number, got str"):
                producer.log({"loss": "0.3"})
            with self.assertRaisesRegex(TypeError, "expected a number, got NoneType"):
                producer.log({"loss": None})
            with self.assertRaises(TypeError):
                producer.log([("loss", 1.0)])
            with self.assertRaisesRegex(ValueError, "must not be empty"):
                producer.log({"": 1.0})
            with self.assertRaisesRegex(ValueError, "step must be an int >= 0"):
                producer.log({"loss": 1.0}, step=-1)
            with self.assertRaisesRegex(ValueError, "unknown severity 'urgent'"):
                producer.event("x", "urgent")
            with self.assertRaisesRegex(ValueError, "out of range"):
                producer.event("x", 9)
            with self.assertRaisesRegex(ValueError, "unknown metric kind"):
                producer.record("x", 1.0, kind="summary")
            with self.assertRaisesRegex(RuntimeError, "state directory"):
                producer.field_report("cmd-1")
            self.assertEqual(producer.stats()["recorded_points"], 0, "a bad entry must record nothing")
            producer.log({"numpy_like": _FloatLike(2.5)})  # Anything with __float__ is a number.
        with self.assertRaisesRegex(RuntimeError, "closed"):
            producer.log({"loss": 1.0})
        for bad in ("bad name", "a.b", "", "x" * 65):
            with self.assertRaisesRegex(ValueError, "invalid service name"):
                esper.Producer(bad, runtime_dir=str(self.run_dir))
        with self.assertRaises(TypeError):
            esper.Producer(42)


class _FloatLike:
    def __init__(self, value):
        self.value = value

    def __float__(self):
        return self.value


if __name__ == "__main__":
    unittest.main()
