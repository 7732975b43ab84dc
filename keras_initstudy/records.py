"""Run records: metrics.json written atomically, read back as dicts."""

import json
import math
import os
import tempfile

METRICS_FILE = "metrics.json"


class OutputDirError(OSError):
    """The output folder cannot be created or written (one-line message)."""


def prepare_output_dir(path):
    """Creates `path` if needed and checks that it is writable.

    Raises:
        OutputDirError: with a one-line message, before any work is done.
    """
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".write-test-"):
            pass
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


def write_text_atomic(path, text):
    """Writes `text` to `path` through a temporary file and a rename.

    A reader sees either the old file or the complete new one, never a
    partial write.
    """
    folder = os.path.dirname(os.path.abspath(path))
    suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
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
