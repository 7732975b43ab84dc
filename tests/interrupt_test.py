"""A run stopped by SIGINT or SIGTERM leaves no partial file, in one line.

What stays is either no record or the previous complete one, byte for byte;
the exit code is 128 + the signal number, as a shell reports it.

Each case starts a real `experiments.mnist` run long enough to be stopped
mid-training, waits for its "training:" log line and sends the signal. A
sweep on local worker processes, stopped the same way after its first
record, leaves no worker behind and only complete records in its cache.
"""

import os
import signal
import subprocess
import sys
import threading
import time

import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.study import records
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


def _children(pid):
    """The process ids of `pid`'s children (Linux /proc)."""
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(child) for child in f.read().split()]


def _running(pid):
    """Whether `pid` is a live process (not gone, not a zombie)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _interrupt(proc, signum, timeout=300, marker="] training:", seen=None):
    """Sends `signum` once the run logs `marker`; its stderr.

    `seen(proc)` is called just before the signal goes out.
    """
    lines, marked = [], threading.Event()

    def read():
        for line in proc.stderr:
            lines.append(line)
            if marker in line:
                marked.set()
        marked.set()  # The run ended on its own: do not wait any longer.

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    marked.wait(timeout)
    started = any(marker in line for line in lines)
    if seen is not None:
        seen(proc)
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

    def test_stopped_sweep_leaves_no_worker_behind(self):
        out = self.create_tempdir().full_path
        cache = os.path.join(out, "cache")
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "experiments.sweep",
                "--workers=2",
                "--seeds=4",
                "--init=he_normal,xavier_normal",
                "--activation=relu",
                "--iterations=300",
                f"--output_dir={out}",
                f"--cache_dir={cache}",
            ],
            cwd=testutil.REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        children = []
        started, stderr = _interrupt(
            proc,
            signal.SIGTERM,
            marker="run 1/8 done",
            seen=lambda p: children.extend(_children(p.pid)),
        )
        report = f"exit {proc.returncode}, stderr:\n{stderr[-3000:]}"
        self.assertTrue(started, report)
        self.assertEqual(proc.returncode, 143, report)
        self.assertNotIn("Traceback", stderr)
        # Two workers (and multiprocessing's resource tracker) were running.
        self.assertGreaterEqual(len(children), 2, report)
        deadline = time.monotonic() + 30
        while any(map(_running, children)) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual([c for c in children if _running(c)], [])
        # Only whole records: a run folder holds its record (written last)
        # or only its task, never a temporary file.
        done = 0
        for kind in os.listdir(cache):
            for key in os.listdir(os.path.join(cache, kind)):
                files = sorted(os.listdir(os.path.join(cache, kind, key)))
                self.assertIn(
                    files, (["metrics.json", "task.json"], ["task.json"])
                )
                done += files == ["metrics.json", "task.json"]
        self.assertBetween(done, 1, 7)


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
