#!/usr/bin/env python3
"""A small training loop that publishes its metrics to Esper through esper_producer.

It fits y = 3x - 2 (plus noise) with minibatch SGD in plain Python and, like the RL trainer of
docs/reference/rl-trainer.md, names its metrics by category prefix with the step on every point:

  trainer/loss           loss     mean squared error of the step's minibatch
  trainer/grad_norm      norm     L2 norm of the gradient
  trainer/learning_rate  lr       learning rate of the step
  misc/steps_per_second  steps/s  training throughput
  evaluator/mse          loss     held-out mean squared error, every --eval-interval steps

Events: `training_started` and `training_finished` (INFO); `loss_spike` (HIGH, emergency lane) at
--spike-at-step, a stand-in for a divergence alarm. Prints "train_demo ready" once connected.
SIGTERM or SIGINT ends training early: what is buffered is still published, and it exits 0.
"""

import argparse
import math
import random
import signal
import sys
import time

import esper_producer as ep


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", default=None,
                   help="YAML config: runtime_dir, endpoints, signing (as every Esper process reads it)")
    p.add_argument("--runtime-dir", default=None, help="directory of Oona's ipc:// endpoints")
    p.add_argument("--source", default="train_demo", help="source name on the bus")
    p.add_argument("--steps", type=int, default=200, help="training steps to run")
    p.add_argument("--rate", type=float, default=20.0, help="steps per second (0: as fast as possible)")
    p.add_argument("--learning-rate", type=float, default=0.05)
    p.add_argument("--batch-size", type=int, default=16)
    p.add_argument("--eval-interval", type=int, default=10, help="steps between evaluations (0: never)")
    p.add_argument("--spike-at-step", type=int, default=0, help="emit a HIGH loss_spike event at this step")
    p.add_argument("--flush-interval-ms", type=int, default=1000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--signing-key-hex", default=None, help="64 hex digits: HMAC-sign every envelope")
    args = p.parse_args(argv)
    if args.steps < 1 or args.batch_size < 1 or args.flush_interval_ms < 1 or args.rate < 0:
        p.error("--steps, --batch-size and --flush-interval-ms must be positive, --rate not negative")
    return args


def sample(rng):
    x = rng.uniform(-1.0, 1.0)
    return x, 3.0 * x - 2.0 + rng.gauss(0.0, 0.1)


def main(argv):
    args = parse_args(argv)
    rng = random.Random(args.seed)
    if args.config:
        bus_config = ep.read_bus_config(args.config, args.runtime_dir)
    else:
        runtime_dir = args.runtime_dir or ep.default_runtime_dir()
        bus_config = {"endpoints": ep.endpoints_under(runtime_dir), "signing_key": None}
    key = ep.parse_hex_key(args.signing_key_hex) if args.signing_key_hex else bus_config["signing_key"]
    bus = ep.BusPublisher(bus_config["endpoints"], args.source, signing_key=key)
    producer = ep.Producer(bus, flush_interval_s=args.flush_interval_ms / 1000.0)
    print("train_demo ready", flush=True)

    held_out = [sample(rng) for _ in range(200)]
    w, b = 0.0, 0.0
    producer.record_event("training_started", ep.INFO, {"steps": args.steps, "seed": args.seed})
    interval = 1.0 / args.rate if args.rate > 0 else 0.0
    stopping = []
    for signo in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signo, lambda *_: stopping.append(True))
    start = last = time.monotonic()
    completed = 0
    for step in range(1, args.steps + 1):
        if stopping:
            break
        batch = [sample(rng) for _ in range(args.batch_size)]
        errors = [(w * x + b - y, x) for x, y in batch]
        loss = sum(e * e for e, _ in errors) / len(errors)
        gw = sum(2 * e * x for e, x in errors) / len(errors)
        gb = sum(2 * e for e, _ in errors) / len(errors)
        w -= args.learning_rate * gw
        b -= args.learning_rate * gb
        now = time.monotonic()
        sps = 1.0 / (now - last) if now > last else 0.0
        last = now
        producer.record_metric("trainer/loss", loss, "loss", step=step)
        producer.record_metric("trainer/grad_norm", math.hypot(gw, gb), "norm", step=step)
        producer.record_metric("trainer/learning_rate", args.learning_rate, "lr", step=step)
        producer.record_metric("misc/steps_per_second", sps, "steps/s", step=step)
        if args.eval_interval > 0 and step % args.eval_interval == 0:
            mse = sum((w * x + b - y) ** 2 for x, y in held_out) / len(held_out)
            producer.record_metric("evaluator/mse", mse, "loss", attributes={"phase": "eval"}, step=step)
        if step == args.spike_at_step:
            producer.record_event("loss_spike", ep.HIGH, {"step": step, "loss": "%.6g" % loss})
        completed = step
        if interval > 0:
            delay = start + step * interval - time.monotonic()
            if delay > 0:
                time.sleep(delay)
    producer.record_event("training_finished", ep.INFO, {"steps": completed, "w": "%.4f" % w, "b": "%.4f" % b})
    producer.close()
    print("train_demo done: w=%.4f b=%.4f dropped=%d" % (w, b, producer.dropped_total), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
