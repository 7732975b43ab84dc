"""Run records: metrics.json written atomically, read back as dicts."""

import contextlib
import itertools
import json
import math
import os

METRICS_FILE = "metrics.json"

# Temporary files of the writes under way, so that a process stopped by a
# signal can remove them before it exits (see `remove_partial_files`).
_IN_FLIGHT = set()
_TMP_NUMBERS = itertools.count()


class OutputDirError(OSError):
    """The output folder cannot be created or written (one-line message)."""


def prepare_output_dir(path):
    """Creates `path` if needed and checks that it is writable.

    Raises:
        OutputDirError: with a one-line message, before any work is done.
    """
    try:
        os.makedirs(path, exist_ok=True)
        with atomic_path(os.path.join(path, ".write-test")) as tmp:
            # A file created and dropped again: nothing to rename.
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL))
            os.unlink(tmp)
    except OSError as e:
        raise OutputDirError(
            f"Output folder {path} is not writable: {e.strerror or e}."
        ) from None
    return path


def jsonable(value):
    """Makes NaN and infinities JSON-safe (as None) and tuples lists."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside `path`, renamed to `path` when done.

    Write the new content to the yielded path: a reader of `path` sees the
    old file or the complete new one, never a partial write. On an
    exception the temporary file is removed; `remove_partial_files` removes
    those of writes a signal handler cuts short.
    """
    folder, name = os.path.split(os.path.abspath(path))
    tmp = os.path.join(
        folder, f".tmp-{os.getpid()}-{next(_TMP_NUMBERS)}-{name}"
    )
    # Registered before the file exists, so a signal at any point finds it.
    _IN_FLIGHT.add(tmp)
    try:
        yield tmp
        if os.path.exists(tmp):
            os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        _IN_FLIGHT.discard(tmp)


def remove_partial_files():
    """Removes the temporary files of the `atomic_path` writes under way.

    For a signal handler that ends the process at once: what it leaves is
    then only complete files.
    """
    for tmp in list(_IN_FLIGHT):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


def write_text_atomic(path, text):
    """Writes `text` to `path` through a temporary file and a rename.

    A reader sees either the old file or the complete new one, never a
    partial write.
    """
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def write_json_atomic(path, payload):
    """Writes JSON to `path` atomically (see `write_text_atomic`)."""
    text = json.dumps(jsonable(payload), indent=2, sort_keys=True)
    return write_text_atomic(path, text + "\n")


def write_metrics(output_dir, metrics):
    """Writes `<output_dir>/metrics.json` atomically and returns its path."""
    return write_json_atomic(os.path.join(output_dir, METRICS_FILE), metrics)


def read_metrics(path):
    """Reads a metrics.json file, or the one inside a run folder."""
    if os.path.isdir(path):
        path = os.path.join(path, METRICS_FILE)
    with open(path) as f:
        return json.load(f)
