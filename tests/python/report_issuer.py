"""A Python process issuing field reports, for field_report_crash_test.py:

    report_issuer.py issue  RUNTIME_DIR STATE_DIR   issues one report, prints "issued <id>", then waits
                                                     to be killed
    report_issuer.py resume RUNTIME_DIR STATE_DIR   opens the same outbox, waits until nothing is
                                                     pending (30 s at most), prints its stats as JSON
"""

import json
import sys
import time

import esper


def main(mode, runtime_dir, state_dir):
    producer = esper.Producer("py_reports", runtime_dir=runtime_dir, state_dir=state_dir,
                              report_initial_backoff_s=0.5, report_max_backoff_s=1.0, flush_interval_s=0.2)
    if mode == "issue":
        report_id = producer.field_report("cmd-crash", outcome="success", metrics={"loss_delta": -0.5},
                                          training_run_id="crash-test", target_epochs=2)
        print("issued", report_id, flush=True)
        while True:
            time.sleep(1)
    settled = producer.wait_reports_settled(30)
    stats = producer.stats()["field_reports"]
    pending = producer.pending_reports()
    producer.close()
    print(json.dumps({"settled_in_time": settled, "pending_ids": pending, **stats}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
