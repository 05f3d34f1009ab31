"""The Python Producer's batch drains, without a bus: a fake publisher records what it is handed,
and a ROUTER socket in the test plays Weatherlight. A batch is drained without any FLUSH or tick,
and each FLUSHED counts every drain since the previous FLUSHED. Run by ctest (python.producer_batch)
with the generated message classes and producers/python on PYTHONPATH.
"""

import os
import shutil
import tempfile
import threading
import time
import unittest

import zmq

from esper import control_pb2
from esper_client.producer import Producer
from esper_client.wire import COUNTER


class RecordingPublisher:
    """Stands in for BusPublisher: keeps every envelope; `wait_points` awaits a total."""

    source = "py-batch"
    instance = "test:1"

    def __init__(self):
        self.envelopes = []
        self._points = 0
        self._changed = threading.Condition()

    def publish(self, envelope):
        with self._changed:
            self.envelopes.append(envelope)
            self._points += len(envelope.telemetry.metrics)
            self._changed.notify_all()
        return True

    def points(self):
        with self._changed:
            return self._points

    def wait_points(self, total, timeout_s=10.0):
        with self._changed:
            return self._changed.wait_for(lambda: self._points >= total, timeout_s)

    def close(self):
        pass


def record(producer, n):
    for i in range(n):
        producer.record_metric("py.batch", i, "count", COUNTER)


class ProducerBatchTest(unittest.TestCase):
    def test_a_batch_drains_without_flush_or_tick(self):
        bus = RecordingPublisher()
        producer = Producer(bus, flush_interval_s=3600, drain_batch_points=100)  # The timer never fires.
        try:
            record(producer, 99)
            record(producer, 1)
            self.assertTrue(bus.wait_points(100), "a full batch was not drained without a FLUSH or a tick "
                            "(%d of 100 published)" % bus.points())
            self.assertGreaterEqual(producer.batch_drains, 1)
            self.assertEqual(producer.timer_flushes, 0)
        finally:
            producer.close()
        self.assertEqual(bus.points(), 100, "a point was published twice")

    def test_a_batch_of_bytes_drains_before_the_count(self):
        bus = RecordingPublisher()
        producer = Producer(bus, flush_interval_s=3600, drain_batch_points=1000, drain_batch_bytes=4096)
        try:
            long_name = "x" * 1000
            for i in range(5):  # About 1 KB each: 4 KiB by the fifth.
                producer.record_metric(long_name, i, "count")
            self.assertTrue(bus.wait_points(4), "4 KiB of points did not make a batch")
        finally:
            producer.close()

    def test_flushed_counts_every_drain_since_the_previous_flushed(self):
        directory = tempfile.mkdtemp(prefix="esper-py-batch-")
        context = zmq.Context.instance()
        router = context.socket(zmq.ROUTER)
        router.setsockopt(zmq.LINGER, 0)
        router.setsockopt(zmq.RCVTIMEO, 10000)
        endpoint = "ipc://" + os.path.join(directory, "control.sock")
        router.bind(endpoint)
        bus = RecordingPublisher()
        producer = Producer(bus, flush_interval_s=3600, control_silence_s=3600, control_endpoint=endpoint,
                            service="py-batch", drain_batch_points=100, max_points_per_packet=40)
        try:
            identity, hello = router.recv_multipart()
            self.assertTrue(control_pb2.Control.FromString(hello).HasField("hello"))
            published = 0
            for seq in (1, 2, 3):
                # `seq` batches of 100, each awaited as drained on its own, then 30 that wait for the FLUSH.
                for _ in range(seq):
                    record(producer, 100)
                    published += 100
                    self.assertTrue(bus.wait_points(published), "round %d: a batch was not drained" % seq)
                record(producer, 30)
                published += 30
                flush = control_pb2.Control()
                flush.flush.seq = seq
                router.send_multipart([identity, flush.SerializeToString()])
                _, body = router.recv_multipart()
                flushed = control_pb2.Control.FromString(body).flushed
                self.assertEqual(flushed.seq, seq)
                self.assertEqual(flushed.points, seq * 100 + 30,
                                 "FLUSHED must count the batch drains since the previous FLUSHED too")
                self.assertEqual(flushed.packets, seq * 3 + 1)  # Batches in 40+40+20, the 30 in one.
                self.assertEqual(flushed.dropped, 0)
                self.assertEqual(flushed.depth, 0)
            self.assertEqual(bus.points(), published)
            self.assertEqual(producer.points_published, published)
        finally:
            producer.close()
            router.close()
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
