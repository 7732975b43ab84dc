"""The default engine: runs on this machine, in-process or in workers."""

import multiprocessing
import multiprocessing.connection
import os
import pickle
import queue
import signal
import threading

from keras_initstudy.study import runner
from keras_initstudy.study.engines.base import EngineError
from keras_initstudy.study.engines.base import limit_inter_op_threads


def _exit_with(parent):
    """Ends this worker process as soon as its parent process is gone."""
    multiprocessing.connection.wait([parent.sentinel])
    os._exit(1)


def _picklable(error):
    """`error`, or a RuntimeError with its text if it cannot be pickled."""
    try:
        pickle.dumps(error)
    except Exception:  # Any pickling failure: send the text instead.
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


def _serve(todo, results, logdir):
    """A worker process of `LocalEngine`: runs tasks until it gets None."""
    # Ctrl-C reaches the whole process group: the driver decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(
        target=_exit_with, args=(multiprocessing.parent_process(),), daemon=True
    ).start()
    limit_inter_op_threads(1)
    while (task := todo.get()) is not None:
        try:
            results.put((task.key, runner.execute(task, logdir), None))
        except Exception as e:  # Handed to the driver, which raises it.
            results.put((task.key, None, _picklable(e)))


class LocalEngine:
    """Runs tasks on this machine (the default engine).

    With one worker (the default) the tasks run one after another in this
    process. With `workers=N` they run N at a time, each worker a process
    of its own (started with the "spawn" method when `run` starts, stopped
    when it returns): a small model's training step leaves cores idle that
    a second run can use. Records come back to this process, which hands
    them over as they finish, so only this process writes the cache. Every
    worker keeps TensorFlow's intra-op threads at the default (see
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
        context = multiprocessing.get_context("spawn")
        todo, results = context.Queue(), context.Queue()
        count = min(self.workers, len(tasks))
        for task in [*tasks, *[None] * count]:
            todo.put(task)
        workers = [
            context.Process(
                target=_serve, args=(todo, results, self.logdir), daemon=True
            )
            for _ in range(count)
        ]
        for worker in workers:
            worker.start()
        pending = {task.key: task for task in tasks}
        try:
            while pending:
                try:
                    key, record, error = results.get(timeout=0.5)
                except queue.Empty:
                    dead = [w.exitcode for w in workers if w.exitcode]
                    if dead:
                        raise EngineError(
                            f"a worker process died (exit code {dead[0]}) "
                            f"with {len(pending)} of {len(tasks)} runs not "
                            "done; the others are cached, run again to "
                            "resume"
                        ) from None
                    continue
                if error is not None:
                    raise error
                on_record(pending.pop(key), record)
        finally:
            if pending:
                # Stopped early: tasks left in the queue are dropped.
                todo.cancel_join_thread()
                for worker in workers:
                    worker.terminate()
            for worker in workers:
                worker.join()
            todo.close()
            results.close()
