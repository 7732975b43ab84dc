"""The default engine: runs on this machine, in-process or in workers."""

import concurrent.futures
import concurrent.futures.process
import multiprocessing
import multiprocessing.connection
import os
import pickle
import signal
import threading

from keras_initstudy.study import runner
from keras_initstudy.study.engines.base import EngineError
from keras_initstudy.study.engines.base import limit_inter_op_threads


def _exit_with(parent):
    """Ends this worker process as soon as its parent process is gone."""
    multiprocessing.connection.wait([parent.sentinel])
    os._exit(1)


def _start_worker():
    """Prepares a worker process of `LocalEngine` (the pool's initializer)."""
    # Ctrl-C reaches the whole process group: the driver decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A driver stopped by a signal ends with `os._exit`, which shuts no pool
    # down: each worker watches its parent instead of outliving it.
    threading.Thread(
        target=_exit_with, args=(multiprocessing.parent_process(),), daemon=True
    ).start()
    limit_inter_op_threads(1)


def _picklable(error):
    """`error`, or a RuntimeError with its text if it cannot be pickled and
    unpickled (the pool would hand the driver a pickling error instead, or
    break)."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # Any pickling failure: send the text instead.
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _execute(task, logdir):
    """`runner.execute` in a worker; an error goes back to the driver."""
    try:
        return runner.execute(task, logdir)
    except Exception as e:  # Handed to the driver, which raises it.
        raise _picklable(e) from None


def _exit_code(workers):
    """The exit code of the worker whose death broke the pool."""
    codes = [w.exitcode for w in workers if w.exitcode is not None]
    # Once one worker died, the pool terminates the others with SIGTERM.
    died = [code for code in codes if code != -signal.SIGTERM] or codes
    return died[0] if died else None


class LocalEngine:
    """Runs tasks on this machine (the default engine).

    With one worker (the default) the tasks run one after another in this
    process. With `workers=N` they run N at a time, in a
    `concurrent.futures.ProcessPoolExecutor` of N processes (started with
    the "spawn" method when `run` starts, stopped when it returns): a small
    model's training step leaves cores idle that a second run can use.
    Records come back to this process, which hands them over as they
    finish, so only this process writes the cache. Every worker keeps
    TensorFlow's intra-op threads at the default (see
    `limit_inter_op_threads`), so its records equal those of a run in one
    process, bit for bit.

    Args:
        logdir: a folder for the runs' TensorBoard summaries (see
            `execute`), or None. Only runs that execute write summaries;
            cached ones wrote theirs when they ran.
        workers: how many runs at once (1: in this process).
    """

    name = "local"

    def __init__(self, logdir=None, workers=1):
        if workers < 1:
            raise ValueError(f"`workers` must be >= 1. Received: {workers}")
        self.logdir = logdir
        self.workers = int(workers)

    def run(self, tasks, on_record):
        """Calls `on_record(task, record)` for each task as it finishes.

        Raises:
            EngineError: a worker process died (the records delivered before
                are cached); any error of a run, as the run raised it.
        """
        tasks = list(tasks)
        if self.workers == 1 or len(tasks) < 2:
            runner.InProcessEngine(self.logdir).run(tasks, on_record)
            return
        others = set(multiprocessing.active_children())
        pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=min(self.workers, len(tasks)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
        )
        pending, workers = {}, []
        try:
            for task in tasks:
                pending[pool.submit(_execute, task, self.logdir)] = task
            # The pool starts its processes as tasks arrive; it names them
            # nowhere public, and stopping early needs them.
            workers = [
                p for p in multiprocessing.active_children() if p not in others
            ]
            _deliver(pool, pending, workers, on_record)
        finally:
            if pending:
                # Stopped early (a run's error, an interrupt): runs under
                # way are dropped rather than waited for.
                for worker in workers:
                    worker.terminate()
            pool.shutdown(wait=True, cancel_futures=True)


def _deliver(pool, pending, workers, on_record):
    """Hands over each record as it arrives, removing its future from
    `pending` (futures to tasks).

    Raises:
        EngineError: a worker process died.
    """
    total = len(pending)
    try:
        for future in concurrent.futures.as_completed(pending):
            record = future.result()
            on_record(pending.pop(future), record)
    except concurrent.futures.process.BrokenProcessPool:
        # Runs that finished before the death are kept all the same.
        for future in list(pending):
            if future.done() and future.exception() is None:
                on_record(pending.pop(future), future.result())
        pool.shutdown(wait=True)  # Every worker has ended: exit codes.
        raise EngineError(
            f"a worker process died (exit code {_exit_code(workers)}) with "
            f"{len(pending)} of {total} runs not done; the others are "
            "cached, run again to resume"
        ) from None
