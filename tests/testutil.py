"""Shared helpers for the tests: real MNIST once per process, tiny IDX files."""

import functools
import gzip
import json
import os
import re
import struct
import subprocess
import sys

import numpy as np

from keras_initstudy.study import data

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Where CI keeps the real datasets; $KERAS_INITSTUDY_DATA_DIR wins when set.
SHARED_DATASETS = os.path.join(REPO_ROOT, "..", "shared", "datasets")

MNIST_TEST_COUNTS = (980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009)


def use_shared_datasets():
    """Points the loader at ../shared/datasets unless the env already says."""
    if not os.environ.get(data.ENV_VAR) and os.path.isdir(SHARED_DATASETS):
        os.environ[data.ENV_VAR] = os.path.abspath(SHARED_DATASETS)


@functools.cache
def mnist():
    """The real MNIST, loaded once per test process (never skipped)."""
    use_shared_datasets()
    return data.load("mnist")


def idx_bytes(array, magic=None):
    """Encodes a uint8 array as an IDX file."""
    array = np.asarray(array, dtype=np.uint8)
    if magic is None:
        magic = 0x800 | array.ndim
    header = struct.pack(">I", magic) + struct.pack(
        f">{array.ndim}I", *array.shape
    )
    return header + array.tobytes()


def write_idx_folder(folder, n_train=6, n_test=4, compress=True, seed=0):
    """Writes the four MNIST IDX files of a tiny random dataset into folder."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    files = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=(n,), dtype=np.uint8)
        for kind, array, dims in (("images", images, 3), ("labels", labels, 1)):
            name = f"{prefix}-{kind}-idx{dims}-ubyte"
            payload = idx_bytes(array)
            if compress:
                name += ".gz"
                payload = gzip.compress(payload)
            path = os.path.join(folder, name)
            with open(path, "wb") as f:
                f.write(payload)
            files[(prefix, kind)] = (path, array)
    return files


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def assert_png(test, path, min_size=(100, 100)):
    """Checks that `path` is a PNG that decodes to at least `min_size` px."""
    import matplotlib.image

    with open(path, "rb") as f:
        test.assertEqual(f.read(8), PNG_SIGNATURE, msg=path)
    height, width = matplotlib.image.imread(path).shape[:2]
    test.assertGreaterEqual(height, min_size[0], msg=path)
    test.assertGreaterEqual(width, min_size[1], msg=path)


def run_module(module, *args, timeout=300, env=None):
    """Runs `python -m module *args` from the repo root, output captured.

    Binaries run in their own process: absl flags are process-global, so
    two experiment modules cannot be imported into one test process.
    """
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def run_modules(cases, jobs=2, timeout=900):
    """Runs `python -m module *args` for many cases in one interpreter start.

    `cases` are `(module, args)` or `(module, args, env)` tuples; returns a
    `subprocess.CompletedProcess` per case, in order. tests/run_binaries.py
    imports TensorFlow once and runs each case in a forked child, `jobs` at
    a time: what each case sees (argv, flags, `__main__`, exit code, stdout
    and stderr) is what `run_module` would give it.
    """
    spec = [
        {"module": module, "args": list(args), "env": dict(env)}
        for module, args, env in (
            (*case, {}) if len(case) == 2 else case for case in cases
        )
    ]
    proc = subprocess.run(
        [sys.executable, "-m", "tests.run_binaries", str(jobs)],
        cwd=REPO_ROOT,
        input=json.dumps(spec),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if proc.returncode:
        raise RuntimeError(
            f"tests.run_binaries exited {proc.returncode}:\n"
            f"{proc.stderr[-3000:]}"
        )
    results = json.loads(proc.stdout.splitlines()[-1])
    return [
        subprocess.CompletedProcess(
            [sys.executable, "-m", case["module"], *case["args"]],
            result["returncode"],
            result["stdout"],
            result["stderr"],
        )
        for case, result in zip(spec, results, strict=True)
    ]


def run_module_in_terminal(module, *args, timeout=300, env=None):
    """Runs `python -m module *args` with a pseudo-terminal as its stdio.

    Returns `(returncode, output)`: what a user at a terminal would see,
    stdout and stderr interleaved, carriage returns kept.
    """
    import pty
    import select
    import time

    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=REPO_ROOT,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, **(env or {})},
    )
    os.close(follower)
    chunks, deadline = [], time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal.
                break
            if not chunk:
                break
            chunks.append(chunk)
        returncode = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    return returncode, b"".join(chunks).decode("utf-8", errors="replace")


# TensorFlow's C++ startup notes (file.cc:NN]), written to stderr whatever
# TF_CPP_MIN_LOG_LEVEL says, and absl INFO lines (the binary's progress).
_STDERR_NOISE = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IWEF]\d{4} [\d:.]+\s+\d+ \S+\.cc:\d+\]"
    r"|I\d{4} [\d:.]+\s+\d+ \S+\.py:\d+\])"
)


def stderr_messages(stderr):
    """The lines of a binary's stderr that are not TF noise or INFO logs."""
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not _STDERR_NOISE.match(line)
    ]
