"""A Producer and fork(): a child process (a DataLoader worker, multiprocessing with fork) inherits
a copy of the Producer without its threads. Closing or dropping that copy in the child must neither
crash nor hang, and the parent's Producer goes on working."""

import gc
import os
import tempfile
import unittest

import esper


class ForkedChildTest(unittest.TestCase):
    def test_the_child_copy_is_inert_and_the_parent_goes_on(self):
        with tempfile.TemporaryDirectory(prefix="esper-py-fork-") as tmp:
            producer = esper.Producer("py_fork", runtime_dir=tmp, state_dir=os.path.join(tmp, "state"),
                                      handle_sigterm=False)
            producer.log({"a": 1.0}, step=1)
            pid = os.fork()
            if pid == 0:  # The child: close its copy, drop it (the C++ destructor runs), exit.
                code = 0
                try:
                    producer.close()
                    del producer
                    gc.collect()
                except BaseException:
                    code = 1
                os._exit(code)
            _, status = os.waitpid(pid, 0)
            self.assertTrue(os.WIFEXITED(status), "the child did not exit normally: status %d" % status)
            self.assertEqual(os.WEXITSTATUS(status), 0)
            producer.log({"a": 2.0}, step=2)
            self.assertTrue(producer.field_report("cmd-after-fork").startswith("py_fork-"))
            self.assertFalse(producer.closed)
            producer.close()


if __name__ == "__main__":
    unittest.main()
