"""The steps logged from Python, as Nissa holds them. Nissa's query API (/api/v1/series, /rollups)
keeps no training step: it aggregates by time (count, last, min, max per series). The one place
Nissa keeps and hands on each point's step is its MLflow exporter (nissa/export/mlflow/), which
logs every stepped point to an MLflow run per source. So a real Nissa exports to an MLflow stand-in
(mlflow_stand_in.py) and the test checks that what arrives there is, step for step, what the program
logged with esper.Producer.log(..., step=N); and that the series API holds the counts and last
values of the same points."""

import math
import pathlib
import tempfile
import unittest

import esper
from esper_processes import Nissa, Oona, wait_until
from mlflow_stand_in import MlflowStandIn

SOURCE = "py_steps"
BIG_STEP = 2 ** 40  # Beyond 32 bits: the step is a uint64 on the bus, an int64 in MLflow.


class StepsInNissaTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="esper-py-steps-")
        self.addCleanup(self.tmp.cleanup)
        self.run_dir = pathlib.Path(self.tmp.name) / "run"
        self.run_dir.mkdir(mode=0o700)
        self.mlflow = MlflowStandIn()
        self.addCleanup(self.mlflow.close)
        self.oona = Oona(self.run_dir)
        self.addCleanup(self.oona.stop)
        self.nissa = Nissa(self.run_dir, pathlib.Path(self.tmp.name) / "state" / "nissa",
                           "export:\n  mlflow:\n    url: %s\n    experiment_id: '0'\n    flush_interval: 200ms\n"
                           % self.mlflow.url)
        self.addCleanup(self.nissa.stop)

    def test_each_logged_step_is_exported_with_its_value_and_the_series_api_counts_them(self):
        train_steps = list(range(1, 31))
        eval_steps = [5, 10, 20, 30]  # Not every step: an evaluation's steps are its own.
        with esper.Producer(SOURCE, runtime_dir=str(self.run_dir), flush_interval_s=0.1) as producer:
            for step in train_steps:
                producer.log({"train.loss": 1.0 / step, "grad_norm": (2.0 * step, "norm")}, step=step,
                             attributes={"category": "trainer"})
                if step in eval_steps:
                    producer.log({"evaluator/mse": 10.0 + step}, step=step)
            producer.log({"train.loss": 0.001}, step=BIG_STEP, attributes={"category": "trainer"})
            producer.log({"train.no_step": 1.0})  # No step: the series API has it, MLflow not.

        # MLflow keys: the category's prefix ("trainer/"), or the name's own ("evaluator/").
        expected = {
            "trainer/train.loss": [(s, 1.0 / s) for s in train_steps] + [(BIG_STEP, 0.001)],
            "trainer/grad_norm": [(s, 2.0 * s) for s in train_steps],
            "evaluator/mse": [(s, 10.0 + s) for s in eval_steps],
        }

        def exported():
            got = {key: self.mlflow.logged(SOURCE, key) for key in expected}
            return got if all(len(got[k]) >= len(v) for k, v in expected.items()) else None

        got = wait_until(exported, 30)
        self.assertTrue(got, "nissa did not export every stepped point to MLflow: keys %s, refusals %s"
                        % (self.mlflow.keys(SOURCE), self.mlflow.refusals))
        self.assertEqual(self.mlflow.refusals, [])
        for key, points in expected.items():
            self.assertEqual(sorted(s for s, _ in got[key]), [s for s, _ in points], "%s: steps" % key)
            values = dict(got[key])
            for step, value in points:
                self.assertTrue(math.isclose(values[step], value), "%s at step %d: %s, logged %s"
                                % (key, step, values[step], value))
        self.assertEqual(self.mlflow.keys(SOURCE), sorted(expected), "a point without a step was exported")

        # The query API: the same points counted per series, with their last values, and the
        # unstepped one too.
        def series():
            s = {x["metric"]: x for x in self.nissa.series(source=SOURCE)}
            return s if s.get("train.loss", {}).get("count") == len(train_steps) + 1 and "train.no_step" in s else None

        s = wait_until(series, 20)
        self.assertTrue(s, "nissa's series API: %s" % self.nissa.series(source=SOURCE))
        self.assertEqual(s["grad_norm"]["count"], len(train_steps))
        self.assertEqual(s["grad_norm"]["unit"], "norm")
        self.assertTrue(math.isclose(s["grad_norm"]["last"], 2.0 * train_steps[-1]))
        self.assertEqual(s["evaluator/mse"]["count"], len(eval_steps))
        self.assertTrue(math.isclose(s["evaluator/mse"]["last"], 10.0 + eval_steps[-1]))
        self.assertTrue(math.isclose(s["train.loss"]["last"], 0.001))
        self.assertEqual(s["train.no_step"]["count"], 1)
        self.assertNotIn("step", s["train.loss"], "the series API now shows steps: assert them here")


if __name__ == "__main__":
    unittest.main()
