#!/usr/bin/env python3
"""Follows the bus from Python, as a notebook would: one line per envelope on stdout.

  follow_bus.py [--config FILE] [--runtime-dir DIR] [--source NAME] [--prefix TOPIC_PREFIX ...]
                [--count N] [--name NAME]

Prints "follow_bus ready" once its HELLOs are sent, then for each envelope
"<lane socket> <topic> seq=<n>", and "missed <n>" whenever Oona says it shed envelopes for it.
Exits 0 after --count envelopes (0: never) or on SIGTERM/SIGINT.
"""

import argparse
import signal
import sys

import esper_producer as ep


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config", help="YAML config: runtime_dir, endpoints, signing (verify with its key)")
    p.add_argument("--runtime-dir", default=None)
    p.add_argument("--source", help="only envelopes from this source")
    p.add_argument("--prefix", action="append",
                   help="topic prefix to subscribe to at Oona (repeatable; default: everything), "
                        "e.g. normal.telemetry.info.tolaria")
    p.add_argument("--count", type=int, default=0)
    p.add_argument("--name", help="subscriber name Oona knows this one by")
    p.add_argument("--signing-key-hex")
    args = p.parse_args(argv)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    if args.config:
        bus_config = ep.read_bus_config(args.config, args.runtime_dir)
    else:
        bus_config = {"endpoints": ep.endpoints_under(args.runtime_dir or ep.default_runtime_dir()),
                      "signing_key": None}
    key = ep.parse_hex_key(args.signing_key_hex) if args.signing_key_hex else bus_config["signing_key"]
    subscriber = ep.BusSubscriber(bus_config["endpoints"], name=args.name, signing_key=key,
                                  prefixes=tuple(args.prefix or [""]))
    print("follow_bus ready", flush=True)
    printed = 0
    missed = 0
    while not stop and (args.count == 0 or printed < args.count):
        message = subscriber.receive(0.2)
        if subscriber.missed > missed:
            print("missed %d" % (subscriber.missed - missed), flush=True)
            missed = subscriber.missed
        if message is None:
            continue
        lane, topic, envelope = message
        if args.source and envelope.source != args.source:
            continue
        print("%s %s seq=%d" % (lane, topic, envelope.sequence), flush=True)
        printed += 1
    subscriber.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
