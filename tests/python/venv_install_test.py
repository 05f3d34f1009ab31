"""The acceptance path, as a user takes it with no package index: a venv made with
--system-site-packages (Debian's protobuf, numpy, setuptools, wheel), `pip install
--no-build-isolation ./python`, and python/examples/train.py run from the venv against real oona and
nissa: its metrics appear in Nissa's query API and its field reports are acknowledged. Also
`cmake --install` of the package gives an importable esper.

To stay quick, pip builds against this build tree (ESPER_BUILD_DIR: only esper_python_package, which
is already built) rather than configuring a new one, and works on a copy of python/ so the source
tree gets no build/ or egg-info from a test."""

import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
import unittest

from esper_processes import Nissa, Oona, binary_dir, wait_until

SOURCE = pathlib.Path(os.environ["ESPER_SOURCE_DIR"])
PYTHON = os.environ.get("ESPER_PYTHON3", sys.executable)


class VenvInstallTest(unittest.TestCase):
    def test_pip_install_then_the_example_reaches_nissa(self):
        with tempfile.TemporaryDirectory(prefix="esper-venv-") as tmp:
            tmp = pathlib.Path(tmp)
            started = time.monotonic()
            venv = tmp / "venv"
            subprocess.check_call([PYTHON, "-m", "venv", "--system-site-packages", str(venv)])
            shutil.copytree(SOURCE / "python", tmp / "python",
                            ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
            env = dict(os.environ, ESPER_BUILD_DIR=str(binary_dir()), PIP_NO_INDEX="1",
                       PIP_DISABLE_PIP_VERSION_CHECK="1")
            env.pop("PYTHONPATH", None)  # Only what the venv has installed.
            subprocess.check_call([str(venv / "bin" / "pip"), "install", "--quiet", "--no-build-isolation",
                                   str(tmp / "python")], env=env, cwd=str(tmp))
            installed = time.monotonic() - started
            where = subprocess.check_output([str(venv / "bin" / "python"), "-c",
                                             "import esper, esper._native, esper.proto.envelope_pb2; "
                                             "print(esper.__file__)"], env=env, cwd=str(tmp), text=True)
            self.assertIn(str(venv), where)

            run_dir = tmp / "run"
            run_dir.mkdir(mode=0o700)
            oona = Oona(run_dir)
            nissa = Nissa(run_dir, tmp / "state" / "nissa")
            try:
                out = subprocess.run([str(venv / "bin" / "python"), str(tmp / "python" / "examples" / "train.py"),
                                      "--runtime-dir", str(run_dir), "--state-dir", str(tmp / "state" / "train"),
                                      "--steps", "100", "--steps-per-epoch", "50"],
                                     env=env, cwd=str(tmp), capture_output=True, text=True, timeout=90)
                self.assertEqual(out.returncode, 0, out.stdout + out.stderr)
                self.assertIn("field reports settled: True", out.stdout)
                self.assertEqual(out.stdout.count("field report train_py-"), 2, out.stdout)

                def loss_series():
                    got = {s["metric"]: s for s in nissa.series(source="train_py")}
                    loss = got.get("train.loss")
                    return got if loss and loss["count"] == 100 else None

                got = wait_until(loss_series, 20)
                self.assertTrue(got, "train.py's metrics did not reach nissa: %s" % nissa.series(source="train_py"))
                for name, unit in {"train.loss": "loss", "train.grad_norm": "norm", "train.lr": "lr",
                                   "train.weight_error": "norm", "train.steps_per_second": "steps/s"}.items():
                    self.assertEqual(got[name]["unit"], unit, name)
                self.assertLess(got["train.loss"]["last"], got["train.loss"]["max"], "it did not learn")
                reports = nissa.get("/api/v1/field_reports")["field_reports"]
                self.assertEqual(len([r for r in reports if r["source"] == "train_py"]), 2, reports)
            finally:
                nissa.stop()
                oona.stop()

            # cmake --install of the package's directory alone: an importable esper under the prefix.
            subprocess.check_call(["cmake", "--install", str(binary_dir() / "python"), "--prefix", str(tmp / "prefix")],
                                  stdout=subprocess.DEVNULL)
            site = tmp / "prefix" / "lib" / "python3" / "dist-packages"
            subprocess.check_call([PYTHON, "-c", "import esper, esper._native, esper.proto.telemetry_pb2"],
                                  env=dict(os.environ, PYTHONPATH=str(site)), cwd=str(tmp))
            print("venv + pip install took %.1f s" % installed)


if __name__ == "__main__":
    unittest.main()
