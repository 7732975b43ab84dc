"""What every binary shares at run time: how it fails.

The package's console script (`keras_initstudy.cli`) and the experiment
binaries in experiments/ fail the same way; this module is in the package so
that an installed wheel, which has no experiments/, has it too.

Flag syntax and validator errors are absl's: caught while parsing, one line
plus a hint, exit 1. Everything that goes wrong after parsing goes through
`one_line_errors`, the decorator on every binary's `main`.
"""

import functools
import gc
import os
import signal
import sys

from absl import flags
from absl import logging

from keras_initstudy.study import data
from keras_initstudy.study import engines
from keras_initstudy.study import records

# What a user can get wrong that only shows at run time: flag values the
# library rejects (ValueError), missing or malformed data (DatasetError),
# an output folder or model file that cannot be written or read (OSError),
# an engine that is not installed or whose runs failed (EngineError).
RUNTIME_ERRORS = (
    data.DatasetError,
    records.OutputDirError,
    engines.EngineError,
    OSError,
    ValueError,
)
RUNTIME_EXIT_CODE = 2
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def _stop(signum, frame):
    """Ends the process at once, leaving only complete files.

    Raising here instead (as SIGINT's KeyboardInterrupt does) would surface
    inside whatever TensorFlow's C++ is calling back into Python, which
    turns it into an unrelated error and a traceback. Records and figures
    are written through `records.atomic_path`, so removing the temporary
    files of the writes under way leaves each one old or complete.
    """
    del frame
    records.remove_partial_files()
    sys.stderr.write(
        f"error: interrupted by {signal.Signals(signum).name}; stopped "
        "before finishing, no partial files left\n"
    )
    sys.stderr.flush()
    os._exit(128 + signum)


def exit_with(message, exitcode=RUNTIME_EXIT_CODE):
    """Writes `error: <message>` as one line to stderr and exits."""
    line = " ".join(str(message).split()) or "unknown error"
    sys.stderr.write(f"error: {line}\n")
    sys.stderr.flush()
    sys.exit(exitcode)


def _first_line(error):
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def one_line_errors(main):
    """Decorates a binary's `main`: runtime errors and signals in one line.

    - A `RUNTIME_ERRORS` error prints `error: <its first line>` and exits
      with code 2: no traceback (it is logged at debug level, `--v=1`) and
      no usage text, which is for flag syntax errors only.
    - SIGINT and SIGTERM print `error: interrupted by SIGTERM ...` and exit
      with 128 + the signal number (130, 143), as a shell would report; the
      record is the previous complete one or none, never a partial file.
    """

    @functools.wraps(main)
    def wrapped(argv):
        # Importing TensorFlow and Keras makes ~350,000 objects that live
        # until exit. The study's binaries turn the garbage collector off
        # for their imports (its full passes over those objects cost
        # ~0.5 s); frozen here, they are skipped by every collection of the
        # run and by the one at exit (~1 s), and collection resumes. Worker
        # processes import a binary as __mp_main__, never run main, and
        # keep the collector on.
        gc.freeze()
        gc.enable()
        previous = {s: signal.signal(s, _stop) for s in _STOP_SIGNALS}
        try:
            return main(argv)
        except RUNTIME_ERRORS as e:
            logging.debug("runtime error", exc_info=True)
            exit_with(_first_line(e))
        finally:
            for s, handler in previous.items():
                signal.signal(s, handler)

    return wrapped


def validate_positive_ints(flag_name):
    """Checks at parse time that a list flag holds positive integers."""
    flags.register_validator(
        flag_name,
        lambda values: (
            bool(values)
            and all(v.strip().isdigit() and int(v) > 0 for v in values)
        ),
        "must be a comma-separated list of one or more positive integers",
    )
