"""A field report issued from Python survives kill -9 of the process: field_report() returned only
once the report was in the outbox's WAL, so a process opened on the same state directory after the
crash sends it, Nissa stores and acknowledges it once, and it is settled for good (a third run has
nothing to send)."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import unittest

from esper_processes import Nissa, Oona

ISSUER = str(pathlib.Path(__file__).resolve().parent / "report_issuer.py")


def issuer(mode, run_dir, state_dir):
    return subprocess.Popen([sys.executable, ISSUER, mode, str(run_dir), str(state_dir)], stdout=subprocess.PIPE,
                            text=True)


class FieldReportCrashTest(unittest.TestCase):
    def test_report_survives_kill_9_and_is_acked_exactly_once_after_restart(self):
        with tempfile.TemporaryDirectory(prefix="esper-py-") as tmp:
            run_dir = pathlib.Path(tmp) / "run"
            run_dir.mkdir(mode=0o700)
            state_dir = pathlib.Path(tmp) / "state" / "trainer"

            # No oona yet: the report can only be in the WAL when the process dies.
            first = issuer("issue", run_dir, state_dir)
            try:
                line = first.stdout.readline().split()
            finally:
                os.kill(first.pid, signal.SIGKILL)
                first.wait()
                first.stdout.close()
            self.assertEqual(line[:1], ["issued"], "the issuer did not issue: %s" % line)
            report_id = line[1]
            self.assertTrue(report_id.startswith("py_reports-"))
            self.assertEqual(first.returncode, -signal.SIGKILL)

            oona = Oona(run_dir)
            nissa = Nissa(run_dir, pathlib.Path(tmp) / "state" / "nissa")
            try:
                second = issuer("resume", run_dir, state_dir)
                out, _ = second.communicate(timeout=60)
                stats = json.loads(out.strip().splitlines()[-1])
                self.assertTrue(stats["settled_in_time"], stats)
                self.assertEqual(stats["pending_ids"], [])
                self.assertEqual(stats["settled"], 1, stats)

                stored = nissa.get("/api/v1/field_reports?report_id=" + report_id)["field_reports"]
                self.assertEqual(len(stored), 1, stored)
                self.assertEqual(stored[0]["report"]["reportId"] if "reportId" in stored[0]["report"]
                                 else stored[0]["report"]["report_id"], report_id)

                third = issuer("resume", run_dir, state_dir)
                out, _ = third.communicate(timeout=60)
                stats = json.loads(out.strip().splitlines()[-1])
                self.assertEqual(stats["published"], 0, "a settled report was sent again: %s" % stats)
                self.assertEqual(stats["pending_ids"], [])
                self.assertEqual(len(nissa.get("/api/v1/field_reports?report_id=" + report_id)["field_reports"]), 1)
            finally:
                nissa.stop()
                oona.stop()


if __name__ == "__main__":
    unittest.main()
