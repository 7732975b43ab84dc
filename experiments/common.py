"""What every experiment binary shares at run time: its files and failures.

A binary's `main` reads flags -> config -> library run -> `finish`:
`prepare_outputs` makes the folders before the run (so a path that cannot
be written fails before any training), `finish` logs the record, writes
metrics.json and draws the figures.

Flag syntax and validator errors are absl's: caught while parsing, one line
plus a hint, exit 1. Everything that goes wrong after parsing goes through
`one_line_errors`, the decorator on every binary's `main`.
"""

import dataclasses
import functools
import gc
import os
import signal
import sys
import time

from absl import logging

from keras_initstudy.study import data
from keras_initstudy.study import engines
from keras_initstudy.study import records
from keras_initstudy.study import runner

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


@dataclasses.dataclass(frozen=True)
class Outputs:
    """The folders a binary writes to, made before its run.

    Attributes:
        output_dir: the record's and the figures' folder (`--output_dir`).
        logdir: the run's TensorBoard summaries' folder, or None.
        figure: whether to draw the figures (`--figure`).
    """

    output_dir: str
    logdir: str | None
    figure: bool


def prepare_outputs(run_flags, summaries=None):
    """Makes the folders of `--output_dir` (and `--logdir`) and checks them.

    Args:
        run_flags: the binary's `flags_core.RunFlags`.
        summaries: for a binary that writes TensorBoard summaries, their
            folder under `--logdir` ("" for `--logdir` itself); None for a
            binary that writes none.

    Returns:
        `Outputs`; its `logdir` is None without `--logdir`.

    Raises:
        records.OutputDirError: a folder cannot be written.
    """
    output_dir = records.prepare_output_dir(run_flags.output_dir.value)
    logdir = None
    if summaries is not None and run_flags.logdir.value:
        logdir = records.prepare_output_dir(
            os.path.join(run_flags.logdir.value, summaries)
            if summaries
            else run_flags.logdir.value
        )
    figure = run_flags.figure is not None and run_flags.figure.value
    return Outputs(output_dir, logdir, figure)


def finish(outputs, record, log, figures=None):
    """The end of every binary's run: log, metrics.json, figures.

    Args:
        outputs: the binary's `Outputs`.
        record: the run's record. One training run's record (it has a
            `status`) is logged with its status and, with `--logdir`, the
            folder of its summaries; a study's cached runs wrote none, so
            its record (no `status`) gets no such line.
        log: `log(record)` logs what the record shows; called first, so a
            record that cannot be written has been shown all the same.
        figures: `figures(record, output_dir)` draws the binary's figures
            and returns their paths; called unless `--nofigure`.
    """
    log(record)
    path = records.write_metrics(outputs.output_dir, record)
    if "status" in record:
        logging.info("status %s; wrote %s", record["status"], path)
        if outputs.logdir is not None:
            logging.info("wrote TensorBoard summaries to %s", outputs.logdir)
    else:
        logging.info("wrote %s", path)
    if figures is not None and outputs.figure:
        for figure in figures(record, outputs.output_dir):
            logging.info("wrote %s", figure)


class StudyProgress:
    """Reports `runner.Study.records` progress: a Progbar over the runs on a
    terminal, one log line per run (elapsed, time left) on a pipe."""

    def __init__(self, stream=None):
        self.stream = stream or sys.stderr
        self.start = time.monotonic()
        self.bar = None

    def __call__(self, progress):
        todo = progress.total - progress.cached
        if progress.task is None:
            logging.info(
                "%d runs: %d cached, %d to run",
                progress.total,
                progress.cached,
                todo,
            )
            if todo and self.stream.isatty():
                import keras

                self.bar = keras.utils.Progbar(todo, unit_name="run")
            return
        done = progress.done - progress.cached
        if self.bar is not None:
            self.bar.update(done)
            return
        elapsed = time.monotonic() - self.start
        logging.info(
            "run %d/%d done (%s %s); elapsed %.0f s, about %.0f s left",
            done,
            todo,
            progress.task.kind,
            runner.describe(progress.task),
            elapsed,
            elapsed / done * (todo - done),
        )


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
        # until exit. The binaries turn the garbage collector off for their
        # imports (its full passes over those objects cost ~0.5 s); frozen
        # here, they are skipped by every collection of the run and by the
        # one at exit (~1 s), and collection resumes. Worker processes
        # import a binary as __mp_main__, never run main, and keep the
        # collector on.
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
