"""esper.Producer and Weatherlight's flush protocol, message by message: with ESPER_CONTROL_ENDPOINT
and ESPER_SERVICE_NAME in the environment (as Weatherlight sets them for its children) it says HELLO
with that service name and its pid, and answers each FLUSH with a drain and a FLUSHED whose seq,
points, depth and dropped are exact. A ROUTER socket (Debian's python3-zmq) plays Weatherlight, so
that the test sees each message, which the real weatherlight does not show;
weatherlight_supervised_test.py runs the same path under the real weatherlight binary."""

import os
import tempfile
import unittest

import zmq

import esper
from esper.proto import control_pb2


class SupervisedProducerTest(unittest.TestCase):
    def test_hello_then_flushed_for_each_flush(self):
        with tempfile.TemporaryDirectory(prefix="esper-py-wl-") as tmp:
            router = zmq.Context.instance().socket(zmq.ROUTER)
            router.setsockopt(zmq.LINGER, 0)
            router.setsockopt(zmq.RCVTIMEO, 10000)
            endpoint = "ipc://" + os.path.join(tmp, "control.sock")
            router.bind(endpoint)
            os.environ["ESPER_CONTROL_ENDPOINT"] = endpoint
            os.environ["ESPER_SERVICE_NAME"] = "wl_trainer"
            try:
                # An hour's own timer: only a FLUSH drains what is under a batch.
                producer = esper.Producer("trainer", runtime_dir=tmp, flush_interval_s=3600, handle_sigterm=False)
            finally:
                del os.environ["ESPER_CONTROL_ENDPOINT"]
                del os.environ["ESPER_SERVICE_NAME"]
            try:
                self.assertEqual(producer.service, "wl_trainer")
                identity, body = router.recv_multipart()
                hello = control_pb2.Control.FromString(body)
                self.assertTrue(hello.HasField("hello"))
                self.assertEqual(hello.hello.service, "wl_trainer")
                self.assertEqual(hello.hello.pid, os.getpid())
                for seq, steps in ((1, 10), (2, 20)):
                    for step in range(steps):
                        producer.log({"a": 1.0, "b": 2.0, "c": 3.0}, step=step)
                    self.assertEqual(producer.stats()["depth"], steps * 3)
                    flush = control_pb2.Control()
                    flush.flush.seq = seq
                    router.send_multipart([identity, flush.SerializeToString()])
                    while True:  # Heartbeats may come first.
                        _, body = router.recv_multipart()
                        reply = control_pb2.Control.FromString(body)
                        if reply.HasField("flushed"):
                            break
                    self.assertEqual(reply.flushed.seq, seq)
                    self.assertEqual(reply.flushed.points, steps * 3)
                    self.assertEqual(reply.flushed.depth, 0)
                    self.assertEqual(reply.flushed.dropped, 0)
                stats = producer.stats()
                self.assertTrue(stats["supervised"])
                self.assertEqual(stats["flushes_answered"], 2)
            finally:
                producer.close()
                router.close()


if __name__ == "__main__":
    unittest.main()
