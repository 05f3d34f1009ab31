"""A Python program on esper.Producer, for weatherlight to supervise (weatherlight_supervised_test.py):
it logs --steps steps of train.loss (1/step) and train.lr (0.1), each with its step, then waits for
SIGTERM. Its own flush timer is an hour and its batch threshold above what it logs, so only
Weatherlight's FLUSH ticks can drain what it logs before it is stopped.

On SIGTERM it prints its counters, before closing (which would publish the rest itself):
    trainer stats: service=NAME supervised=True flushes_answered=N timer_flushes=0 batch_drains=0 ...
then closes the producer and exits 0. The bus is found from RUNTIME_DIRECTORY, which weatherlight
sets for its services."""

import argparse
import signal
import sys

import esper


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)

    # Blocked before the producer's threads start, so that they inherit the mask and SIGTERM waits
    # for sigwait below, in this thread.
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    # The name weatherlight gives (ESPER_SERVICE_NAME) replaces this one.
    producer = esper.Producer("unsupervised_trainer", flush_interval_s=3600, drain_batch_points=1000000,
                              drain_batch_bytes=64 * 1024 * 1024, handle_sigterm=False)
    for step in range(1, args.steps + 1):
        producer.log({"train.loss": 1.0 / step, "train.lr": 0.1}, step=step)
    print("trainer logged %d steps" % args.steps, flush=True)

    signal.sigwait({signal.SIGTERM})
    stats = producer.stats()
    print("trainer stats: service=%s %s" % (producer.service, " ".join(
        "%s=%s" % (k, stats[k]) for k in ("supervised", "flushes_answered", "timer_flushes", "batch_drains",
                                           "points_published", "recorded_points", "dropped"))), flush=True)
    producer.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
