"""What every experiment binary shares at run time: its files and failures.

A binary's `main` reads flags -> config -> library run -> `finish`:
`prepare_outputs` makes the folders before the run (so a path that cannot
be written fails before any training), `finish` logs the record, writes
metrics.json and draws the figures.

How they fail is `keras_initstudy.binaries`, shared with the package's
console script: `one_line_errors` is the decorator on every binary's
`main`. What only the study's binaries need stays here.
"""

import dataclasses
import os
import sys
import time

from absl import logging

from keras_initstudy.binaries import one_line_errors  # noqa: F401 (re-export)
from keras_initstudy.study import records
from keras_initstudy.study import runner


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
