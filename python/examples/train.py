#!/usr/bin/env python3
"""A small training loop on Esper: linear regression by mini-batch SGD in numpy, logging each step's
metrics through esper.Producer and issuing a field report at the end of each epoch, about the
learning-rate decay applied then (did the epoch's loss improve?).

    python examples/train.py --runtime-dir "$RUNTIME_DIR" --state-dir /tmp/train-state --steps 200

Metrics (key: unit): train.loss: loss, train.grad_norm: norm, train.lr: lr, train.weight_error: norm,
train.steps_per_second: steps/s, all with the step. Events: training_started, epoch_finished and
training_finished (INFO); a loss that is not finite is a CRITICAL loss_diverged, on the emergency
lane, as is the HIGH loss_spike that --alarm-at-step N raises at step N (a drill of the alarm path).
Under Weatherlight it answers FLUSH as any Esper producer; SIGTERM ends it early, after publishing
what is buffered (exit 0). Without --state-dir it issues no field reports.
"""

import argparse
import math
import sys
import time

import numpy as np

import esper

UNITS = {"train.loss": "loss", "train.grad_norm": "norm", "train.lr": "lr", "train.weight_error": "norm",
         "train.steps_per_second": "steps/s"}


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runtime-dir", default=None, help="Oona's runtime directory")
    parser.add_argument("--config", default=None, help="a bus YAML instead (runtime_dir, endpoints:, signing:)")
    parser.add_argument("--state-dir", default=None, help="the field-report outbox's directory")
    parser.add_argument("--service", default="train_py", help="source name on the bus")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--steps-per-epoch", type=int, default=50)
    parser.add_argument("--rate", type=float, default=0, help="steps per second at most (0: as fast as it goes)")
    parser.add_argument("--alarm-at-step", type=int, default=0, help="raise a HIGH loss_spike at this step (0: never)")
    parser.add_argument("--settle-timeout", type=float, default=20.0,
                        help="at the end, wait this long for Nissa to acknowledge the field reports")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(7)
    features = 16
    true_w = rng.normal(size=features)
    w = np.zeros(features)
    lr = 0.05

    with esper.Producer(args.service, runtime_dir=args.runtime_dir, config=args.config, state_dir=args.state_dir,
                        units=UNITS) as producer:
        producer.event("training_started", esper.Severity.INFO, {"steps": args.steps, "features": features})
        started = time.monotonic()
        epoch_losses = []
        previous_epoch_loss = None
        for step in range(1, args.steps + 1):
            x = rng.normal(size=(64, features))
            y = x @ true_w + rng.normal(scale=0.1, size=64)
            error = x @ w - y
            loss = float(np.mean(error ** 2))
            grad = 2.0 * x.T @ error / len(y)
            w -= lr * grad
            epoch_losses.append(loss)
            if not math.isfinite(loss):
                producer.event("loss_diverged", esper.Severity.CRITICAL, {"step": step})
                break
            elapsed = time.monotonic() - started
            producer.log({"train.loss": loss, "train.grad_norm": float(np.linalg.norm(grad)), "train.lr": lr,
                          "train.weight_error": float(np.linalg.norm(w - true_w)),
                          "train.steps_per_second": step / elapsed if elapsed > 0 else 0.0}, step=step)

            if step == args.alarm_at_step:
                producer.event("loss_spike", esper.Severity.HIGH, {"step": step, "loss": loss, "drill": "true"})

            if step % args.steps_per_epoch == 0:
                epoch = step // args.steps_per_epoch
                epoch_loss = float(np.mean(epoch_losses))
                producer.event("epoch_finished", esper.Severity.INFO, {"epoch": epoch, "loss": epoch_loss})
                if args.state_dir:
                    improved = previous_epoch_loss is None or epoch_loss < previous_epoch_loss
                    report_id = producer.field_report(
                        "lr-decay-epoch-%d" % epoch, outcome="success" if improved else "neutral",
                        metrics={"loss_delta": epoch_loss - (previous_epoch_loss or epoch_loss), "lr": lr},
                        training_run_id="train-py", observation_window_epochs=1, target_epochs=1)
                    print("field report %s issued" % report_id, flush=True)
                previous_epoch_loss = epoch_loss
                epoch_losses = []
                lr *= 0.7  # The adaptation the next epoch's report judges.
            if args.rate > 0:
                time.sleep(max(0.0, step / args.rate - (time.monotonic() - started)))

        producer.event("training_finished", esper.Severity.INFO, {"steps": step})
        if args.state_dir:
            settled = producer.wait_reports_settled(args.settle_timeout)
            print("field reports settled: %s (pending %s)" % (settled, producer.pending_reports()), flush=True)
        stats = producer.stats()
    print("train: %d steps, %d points recorded, %d dropped, final loss %.4f" %
          (step, stats["recorded_points"], stats["dropped"], loss), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
