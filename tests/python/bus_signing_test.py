"""esper.Producer and esper.Subscriber with the bus's signing key from a config (`signing:
key_file:`), as every Esper process reads it, against a real oona that refuses unsigned envelopes:
what the producer signs passes oona and the subscriber's verification; a producer without the key
gets nothing through; a key file its group or others may read is refused, naming the file and its
mode. The package reads the config in C++ (oona/bus_location_config.h), as every Esper process
does."""

import os
import pathlib
import tempfile
import time
import unittest

import esper
from esper_processes import Oona, wait_until

KEY_HEX = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"


class BusSigningTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="esper-py-sign-")
        self.addCleanup(self.tmp.cleanup)
        self.dir = pathlib.Path(self.tmp.name)
        self.run_dir = self.dir / "run"
        self.run_dir.mkdir(mode=0o700)
        self.oona = Oona(self.run_dir, "signing:\n  key_hex: %s\n" % KEY_HEX)
        self.addCleanup(self.oona.stop)

    def config_with_key_file(self, name, mode):
        key = self.dir / (name + ".key")
        key.write_text(KEY_HEX + "\n")
        os.chmod(key, mode)
        config = self.dir / (name + ".yaml")
        config.write_text("runtime_dir: %s\nsigning:\n  key_file: %s\n" % (self.run_dir, key))
        return str(config)

    def test_signed_points_pass_and_unsigned_ones_do_not(self):
        config = self.config_with_key_file("private", 0o600)
        sub = esper.Subscriber(config=config, prefixes=["normal.telemetry."], emergency=False)
        self.assertTrue(wait_until(sub.connected, 10), "the subscriber did not connect to oona")

        def received(source, timeout_s):
            """The first 5 train.loss steps from `source`, waiting up to `timeout_s` for them."""
            steps = []
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline and len(steps) < 5:
                m = sub.receive(0.2)
                if m is not None and m.envelope.source == source:
                    steps += [p.step for p in m.envelope.telemetry.metrics if p.name == "train.loss"]
            return steps

        # Until the subscriber's connection has reached oona, early envelopes may be lost: the
        # unsigned producer goes second, once the signed one's points are known to arrive.
        with esper.Producer("py_signed", config=config, flush_interval_s=0.05) as producer:
            for step in range(1, 6):
                producer.log({"train.loss": 1.0 / step}, step=step)
        self.assertEqual(received("py_signed", 20), [1, 2, 3, 4, 5])
        with esper.Producer("py_unsigned", runtime_dir=str(self.run_dir), flush_interval_s=0.05) as producer:
            for step in range(1, 6):
                producer.log({"train.loss": 1.0 / step}, step=step)
        # Read until oona's own telemetry counts the unsigned envelopes it refused.
        unsigned_points, refused = [], 0
        deadline = time.monotonic() + 20
        while refused == 0:
            self.assertLess(time.monotonic(), deadline, "oona did not count unsigned envelopes within 20 s")
            m = sub.receive(0.2)
            if m is None:
                continue
            if m.envelope.source == "py_unsigned":
                unsigned_points += list(m.envelope.telemetry.metrics)
            for p in m.envelope.telemetry.metrics if m.envelope.source == "oona" else []:
                if p.name == "oona.rejected_total" and p.attributes.get("reason") == "unsigned":
                    refused = p.value
        self.assertEqual(unsigned_points, [], "oona let unsigned envelopes through")
        self.assertEqual(sub.rejected, 0)

    def test_a_key_file_others_may_read_is_refused(self):
        config = self.config_with_key_file("shared", 0o604)
        with self.assertRaisesRegex(ValueError, "shared.key has mode 0604"):
            esper.Producer("py_shared", config=config)
        with self.assertRaisesRegex(ValueError, "shared.key has mode 0604"):
            esper.Subscriber(config=config)


if __name__ == "__main__":
    unittest.main()
