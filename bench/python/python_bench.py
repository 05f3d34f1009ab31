#!/usr/bin/env python3
"""The esper Python package's costs, from Python: what record() and log() cost per call and per
point (against a running oona, so nothing waits on the bus), and how many points per second one
Python process pushes end to end (logging 10 metrics per step as fast as it goes, for --duration
seconds, to a real oona and nissa; "nissa got" is the sum of the counts in Nissa's series API).

    PYTHONPATH=build/default/python/package:tests/python ESPER_BINARY_DIR=build/default \
        python3 bench/python/python_bench.py [--calls N] [--duration S]

Starts oona and nissa from $ESPER_BINARY_DIR with tests/python/esper_processes.py.
"""

import argparse
import pathlib
import sys
import tempfile
import time

import esper
from esper_processes import Nissa, Oona, wait_until


def per_call_ns(fn, calls):
    started = time.perf_counter_ns()
    fn(calls)
    return (time.perf_counter_ns() - started) / calls


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1_000_000, help="calls timed per figure")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds of the end-to-end run")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="esper-pybench-") as tmp:
        run_dir = pathlib.Path(tmp) / "run"
        run_dir.mkdir(mode=0o700)
        oona = Oona(run_dir)
        nissa = Nissa(run_dir, pathlib.Path(tmp) / "state" / "nissa")
        try:
            with esper.Producer("py_bench_calls", runtime_dir=str(run_dir), handle_sigterm=False) as producer:
                record = producer.record

                def empty_loop(n):
                    for _ in range(n):
                        pass

                def records(n):
                    for i in range(n):
                        record("bench.value", 1.0, "count")

                def records_with_step(n):
                    for i in range(n):
                        record("bench.value", 1.0, "count", step=i)

                metrics = {"bench.m%d" % k: float(k) for k in range(10)}

                def logs(n):
                    for i in range(n):
                        producer.log(metrics, step=i)

                loop = per_call_ns(empty_loop, args.calls)
                record_ns = per_call_ns(records, args.calls) - loop
                step_ns = per_call_ns(records_with_step, args.calls) - loop
                log_ns = per_call_ns(logs, max(1, args.calls // 10)) - loop
                stats = producer.stats()
            print("record(name, value, unit):        %6.0f ns/call" % record_ns)
            print("record(name, value, unit, step=): %6.0f ns/call" % step_ns)
            print("log(10 metrics, step=):           %6.0f ns/call = %.0f ns/point" % (log_ns, log_ns / 10))
            print("  (Python loop overhead %.0f ns/iteration subtracted; %d points recorded, %d dropped)" %
                  (loop, stats["recorded_points"], stats["dropped"]))

            producer = esper.Producer("py_bench", runtime_dir=str(run_dir), handle_sigterm=False)
            step = 0
            started = time.monotonic()
            deadline = started + args.duration
            while time.monotonic() < deadline:
                for _ in range(100):
                    producer.log(metrics, step=step)
                    step += 1
            producer.close()
            elapsed = time.monotonic() - started
            stats = producer.stats()

            def nissa_got():
                return sum(s["count"] for s in nissa.series(source="py_bench") if s["metric"].startswith("bench."))

            previous = -1
            got = 0
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:  # Until Nissa's count stops rising.
                got = nissa_got()
                if got == previous and got >= stats["points_published"] * 0.5:
                    break
                previous = got
                time.sleep(0.5)
            print("end to end, one Python process logging 10 metrics per step for %.1f s:" % elapsed)
            print("  recorded %d points (%.0f points/s), published %d (%.0f points/s), dropped %d (%.2f %%)" %
                  (stats["recorded_points"], stats["recorded_points"] / elapsed, stats["points_published"],
                   stats["points_published"] / elapsed, stats["dropped"],
                   100.0 * stats["dropped"] / max(1, stats["recorded_points"])))
            print("  nissa got %d points (%.0f points/s)" % (got, got / elapsed))
        finally:
            nissa.stop()
            oona.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
