"""What the experiment binaries share at run time.

How they fail is `keras_initstudy.binaries`, shared with the package's
console script: `one_line_errors` is the decorator on every binary's
`main`. What only the study's binaries need stays here.
"""

import sys
import time

from absl import logging

from keras_initstudy.binaries import one_line_errors  # noqa: F401 (re-export)
from keras_initstudy.study import runner


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
