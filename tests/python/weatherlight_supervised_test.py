"""esper.Producer under the real weatherlight: weatherlight starts supervised_trainer.py (a Python
program on esper.Producer whose own flush timer is an hour) beside a real oona and nissa. The
program says HELLO under the service name weatherlight gives it, its stepped metrics reach Nissa's
query API drained by weatherlight's FLUSH ticks alone (no timer flush, no batch drain), weatherlight's
own telemetry in Nissa shows it answering (flush latency, no missed flush), and stopping weatherlight
stops the program cleanly. tests/python/supervised_producer_test.py checks the FLUSHED message's
counts against a stand-in for weatherlight, which this test cannot see."""

import math
import os
import pathlib
import re
import sys
import tempfile
import unittest

from esper_processes import Nissa, Oona, Weatherlight, wait_until

SERVICE = "sv_trainer"
STEPS = 20


class WeatherlightSupervisedTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="esper-py-wl-")
        self.addCleanup(self.tmp.cleanup)
        root = pathlib.Path(self.tmp.name)
        self.run_dir = root / "run"
        self.run_dir.mkdir(mode=0o700)
        self.oona = Oona(self.run_dir)
        self.addCleanup(self.oona.stop)
        self.nissa = Nissa(self.run_dir, root / "state" / "nissa")
        self.addCleanup(self.nissa.stop)
        trainer = pathlib.Path(__file__).with_name("supervised_trainer.py")
        services = ("  %s:\n"
                    "    argv: [%s, %s, --steps, '%d']\n"
                    "    env: {PYTHONPATH: '%s'}\n"
                    "    restart: never\n"
                    "    ready: hello\n") % (SERVICE, sys.executable, trainer, STEPS, os.environ["PYTHONPATH"])
        self.weatherlight = Weatherlight(self.run_dir, root, services)
        self.addCleanup(self.weatherlight.stop)

    def test_flush_ticks_drain_the_program_into_nissa(self):
        wl = self.weatherlight
        hello = wl.wait_for_line("[%s] said HELLO" % SERVICE, 5)
        self.assertIsNotNone(hello, "weatherlight was ready without the program's HELLO:\n" + wl.output())
        self.assertTrue(wl.wait_for_line("[%s] trainer logged %d steps" % (SERVICE, STEPS), 20),
                        "the program did not log its steps:\n" + wl.output())

        # The program's points, under the name weatherlight gave, in Nissa's query API.
        def trainer_series():
            got = {s["metric"]: s for s in self.nissa.series(source=SERVICE)}
            done = all(got.get(m, {}).get("count") == STEPS for m in ("train.loss", "train.lr"))
            return got if done else None

        got = wait_until(trainer_series, 20)
        self.assertTrue(got, "nissa did not get the program's %d steps: %s\nweatherlight:\n%s"
                        % (STEPS, self.nissa.series(source=SERVICE), wl.output()))
        self.assertTrue(math.isclose(got["train.loss"]["last"], 1.0 / STEPS), got["train.loss"])
        self.assertTrue(math.isclose(got["train.loss"]["max"], 1.0), got["train.loss"])
        self.assertEqual(self.nissa.series(source="unsupervised_trainer"), [],
                         "the program published under its own name, not weatherlight's")

        # Weatherlight's telemetry about the program: a flush latency (published only once the
        # service has answered a FLUSH) and no FLUSH missed.
        def weatherlight_view():
            views = {}
            for metric in ("weatherlight.flush_latency_ms", "weatherlight.flushes_missed_total"):
                for s in self.nissa.series(source="weatherlight", metric=metric):
                    if s["attributes"].get("service") == SERVICE:
                        views[metric] = s
            return views if len(views) == 2 else None

        views = wait_until(weatherlight_view, 20)
        self.assertTrue(views, "weatherlight's flush telemetry about %s is not in nissa: %s"
                        % (SERVICE, self.nissa.series(source="weatherlight")))
        self.assertEqual(views["weatherlight.flushes_missed_total"]["last"], 0)
        self.assertGreaterEqual(views["weatherlight.flush_latency_ms"]["count"], 1)

        # Stopping weatherlight stops the program (SIGTERM); it reports that only FLUSHes drained it.
        self.assertEqual(wl.stop(), 0, "weatherlight did not exit 0:\n" + wl.output())
        line = wl.wait_for_line("[%s] trainer stats:" % SERVICE, 0)
        self.assertIsNotNone(line, "the program did not print its counters on SIGTERM:\n" + wl.output())
        stats = dict(re.findall(r"(\w+)=(\S+)", line))
        self.assertEqual(stats["service"], SERVICE)
        self.assertEqual(stats["supervised"], "True")
        self.assertGreaterEqual(int(stats["flushes_answered"]), 1)
        self.assertEqual(stats["timer_flushes"], "0")
        self.assertEqual(stats["batch_drains"], "0")
        self.assertEqual(int(stats["points_published"]), 2 * STEPS)
        self.assertEqual(stats["dropped"], "0")
        self.assertIsNotNone(wl.wait_for_line("[%s] stopped (exit 0)" % SERVICE, 0),
                             "the program did not exit 0 on SIGTERM:\n" + wl.output())


if __name__ == "__main__":
    unittest.main()
