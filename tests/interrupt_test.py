"""A run stopped by SIGINT or SIGTERM leaves no partial file, in one line.

What stays is either no record or the previous complete one, byte for byte;
the exit code is 128 + the signal number, as a shell reports it.

Each case starts a real `experiments.mnist` run long enough to be stopped
mid-training, waits for its "training:" log line and sends the signal.
"""

import os
import signal
import subprocess
import sys
import threading

import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy import records
from tests import testutil

# Far more updates than the run gets to do before the signal.
_LONG_RUN = ("--init=he_normal", "--iterations=1000000")


def _start(output_dir):
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "experiments.mnist",
            *_LONG_RUN,
            f"--output_dir={output_dir}",
        ],
        cwd=testutil.REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def _interrupt(proc, signum, timeout=300):
    """Sends `signum` once the run logs that training began; its stderr."""
    lines, seen = [], threading.Event()

    def read():
        for line in proc.stderr:
            lines.append(line)
            if "] training:" in line:
                seen.set()
        seen.set()  # The run ended on its own: do not wait any longer.

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen.wait(timeout)
    started = any("] training:" in line for line in lines)
    proc.send_signal(signum)
    proc.wait(timeout)
    reader.join(timeout)
    return started, "".join(lines)


class InterruptTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("sigterm_no_previous_record", signal.SIGTERM, False, 143),
        ("sigint_keeps_previous_record", signal.SIGINT, True, 130),
    )
    def test_stopped_run(self, signum, previous, exitcode):
        out = self.create_tempdir().full_path
        before = {}
        if previous:
            # A previous run's files; the interrupted run must not touch them.
            for name, content in (
                ("metrics.json", b'{"config": {"init": "zeros"}}\n'),
                ("loss.png", testutil.PNG_SIGNATURE + b"previous"),
            ):
                with open(os.path.join(out, name), "wb") as f:
                    f.write(content)
                before[name] = content
        proc = _start(out)
        started, stderr = _interrupt(proc, signum)
        report = f"exit {proc.returncode}, stderr:\n{stderr[-3000:]}"
        self.assertTrue(started, report)
        self.assertEqual(proc.returncode, exitcode, report)
        self.assertNotIn("Traceback", stderr)
        messages = testutil.stderr_messages(stderr)
        self.assertEqual(
            messages,
            [
                f"error: interrupted by {signal.Signals(signum).name}; "
                "stopped before finishing, no partial files left"
            ],
            report,
        )
        after = {}
        for name in os.listdir(out):
            with open(os.path.join(out, name), "rb") as f:
                after[name] = f.read()
        # No temporary files, no new record, the previous one unchanged.
        self.assertEqual(after, before)


class AtomicPathTest(tf.test.TestCase):
    def _folder_with_old_file(self):
        folder = self.create_tempdir().full_path
        path = os.path.join(folder, "metrics.json")
        with open(path, "w") as f:
            f.write("old")
        return folder, path

    def test_error_mid_write_keeps_the_old_file(self):
        folder, path = self._folder_with_old_file()
        with self.assertRaisesRegex(RuntimeError, "mid-write"):
            with records.atomic_path(path) as tmp, open(tmp, "w") as f:
                f.write("half")
                raise RuntimeError("mid-write")
        self.assertEqual(os.listdir(folder), ["metrics.json"])
        with open(path) as f:
            self.assertEqual(f.read(), "old")

    def test_remove_partial_files_mid_write(self):
        # What the signal handler does before it ends the process.
        folder, path = self._folder_with_old_file()
        with records.atomic_path(path) as tmp:
            with open(tmp, "w") as f:
                f.write("half")
            self.assertLen(os.listdir(folder), 2)
            records.remove_partial_files()
            self.assertEqual(os.listdir(folder), ["metrics.json"])
        with open(path) as f:
            self.assertEqual(f.read(), "old")

    def test_complete_write_replaces(self):
        folder, path = self._folder_with_old_file()
        records.write_json_atomic(path, {"a": 1})
        self.assertEqual(os.listdir(folder), ["metrics.json"])
        self.assertEqual(records.read_metrics(folder), {"a": 1})


if __name__ == "__main__":
    tf.test.main()
