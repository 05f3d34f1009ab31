"""python -m esper.tail: follows Esper's bus from Python and prints one line per envelope, like
oona's esper-tail (which stays the tool of choice for operators; this one shows the package's
Subscriber at work and is handy where only the package is installed).

    python -m esper.tail [--runtime-dir DIR | --config FILE] [--prefix P ...] [--lane normal|emergency]
                         [--count N] [--timeout S] [--json]
"""

import argparse
import json
import sys

from google.protobuf import json_format

from esper.subscriber import Subscriber


def summary(envelope) -> str:
    body = envelope.WhichOneof("body")
    if body == "telemetry":
        t = envelope.telemetry
        metrics = " ".join("%s=%g%s%s" % (p.name, p.value, p.unit and " " + p.unit or "",
                                         " @%d" % p.step if p.HasField("step") else "")
                           for p in t.metrics[:5])
        more = " (+%d)" % (len(t.metrics) - 5) if len(t.metrics) > 5 else ""
        events = " ".join("event:%s" % e.description for e in t.events)
        return (metrics + more + " " + events).strip()
    if body == "event":
        return "event:%s" % envelope.event.description
    if body == "field_report":
        return "field_report %s command=%s" % (envelope.field_report.report_id, envelope.field_report.command_id)
    if body == "field_report_ack":
        return "ack %s%s" % (envelope.field_report_ack.report_id,
                             " (duplicate)" if envelope.field_report_ack.duplicate else "")
    return body or "(empty)"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m esper.tail", description="Follow Esper's bus.")
    parser.add_argument("--runtime-dir", default=None)
    parser.add_argument("--config", default=None, help="a bus YAML (runtime_dir, endpoints:, signing:)")
    parser.add_argument("--prefix", action="append", default=None, help="topic prefix (repeatable)")
    parser.add_argument("--lane", choices=("normal", "emergency"), default=None, help="one lane only")
    parser.add_argument("--count", type=int, default=0, help="stop after N envelopes")
    parser.add_argument("--timeout", type=float, default=0.0, help="stop after S seconds without one")
    parser.add_argument("--json", action="store_true", help="one JSON envelope per line")
    args = parser.parse_args(argv)

    subscriber = Subscriber(runtime_dir=args.runtime_dir, config=args.config, name="esper.tail",
                            prefixes=args.prefix or [""], normal=args.lane != "emergency",
                            emergency=args.lane != "normal")
    seen = 0
    try:
        while args.count <= 0 or seen < args.count:
            m = subscriber.receive(args.timeout if args.timeout > 0 else 1.0)
            if m is None:
                if args.timeout > 0:
                    break
                continue
            seen += 1
            if args.json:
                print(json.dumps({"lane": m.lane, "topic": m.topic,
                                  "envelope": json_format.MessageToDict(m.envelope)}), flush=True)
            else:
                print("%s seq=%d %s" % (m.topic, m.envelope.sequence, summary(m.envelope)), flush=True)
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
