"""The study runner: tasks in, records out, each run made once.

A `Task` is one run of the study: a kind (`KINDS`: "classifier", "toy",
"regression", "depth", "deep_relu") and that kind's frozen config dataclass,
seed included. Its `key` is a hash of the kind and the full config, so two
tasks that would compute the same record share one cache entry.

`Study(cache_dir, engine)` answers `records(tasks)`: records already in the
cache are read back, the missing ones are handed to the engine, and each
record the engine returns is written into the cache (atomically) as soon as
it arrives. An interrupted study therefore resumes where it stopped. The
engine only computes: `LocalEngine` runs tasks one after another in this
process (loading each dataset once), or several at a time in worker
processes on this machine; a distributed engine runs the same `execute`
elsewhere and hands back the same records, so the cache cannot tell which
engine made a run.

Cache layout: `<cache_dir>/<kind>/<key>/task.json` (the task's spec) and
`metrics.json` (the record, written last: its presence marks a finished
run).
"""

import dataclasses
import functools
import hashlib
import json
import multiprocessing
import multiprocessing.connection
import os
import pickle
import queue
import signal
import threading

from keras_initstudy import data
from keras_initstudy import deep_relu
from keras_initstudy import depth
from keras_initstudy import records
from keras_initstudy import regression
from keras_initstudy import runs
from keras_initstudy import toy

# Bumped whenever a change to the library changes what a record holds for
# the same config: old cache entries are then simply not found.
RECORD_VERSION = 1
TASK_FILE = "task.json"


@dataclasses.dataclass(frozen=True)
class Kind:
    """How to run one kind of task.

    Attributes:
        config_class: the frozen dataclass of the kind's config.
        run: `run(config, dataset)` -> record (a JSON-ready dict); with
            `summaries`, also a `logdir=` keyword (a folder or None).
        uses_data: whether `run` needs a loaded `data.Dataset`.
        summaries: whether `run` can write TensorBoard summaries.
    """

    config_class: type
    run: object
    uses_data: bool = True
    summaries: bool = False


def _run_classifier(config, dataset, logdir=None):
    return runs.run_classifier(
        config,
        dataset=dataset,
        logdir=None
        if logdir is None
        else os.path.join(logdir, runs.run_name(config)),
    )


def _run_toy(config, dataset):
    del dataset
    return toy.run(config)


KINDS = {
    "classifier": Kind(runs.ClassifierConfig, _run_classifier, summaries=True),
    "toy": Kind(toy.ToyConfig, _run_toy, uses_data=False),
    "regression": Kind(regression.RegressionConfig, regression.run),
    "depth": Kind(depth.DepthConfig, depth.run),
    "deep_relu": Kind(deep_relu.DeepReluConfig, deep_relu.run),
}


def _tuples(value):
    """JSON lists back into the tuples the config dataclasses hold."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


@dataclasses.dataclass(frozen=True)
class Task:
    """One run of the study: a kind and its config.

    Examples:

    >>> task = Task("classifier", runs.ClassifierConfig(init="zeros", seed=1))
    >>> Task.from_spec(task.spec()) == task
    True
    """

    kind: str
    config: object

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(
                f"Unknown task kind; valid: {', '.join(sorted(KINDS))}. "
                f"Received: kind={self.kind!r}"
            )
        expected = KINDS[self.kind].config_class
        if not isinstance(self.config, expected):
            raise TypeError(
                f"A {self.kind!r} task takes a {expected.__name__}. "
                f"Received: config={self.config!r}"
            )

    def spec(self):
        """The task as plain JSON data (what the cache and engines store)."""
        return {
            "kind": self.kind,
            "config": records.jsonable(dataclasses.asdict(self.config)),
        }

    @functools.cached_property
    def key(self):
        """A hash of the kind, the full config and `RECORD_VERSION`."""
        text = json.dumps(
            {**self.spec(), "record_version": RECORD_VERSION},
            sort_keys=True,
        )
        return hashlib.sha256(text.encode()).hexdigest()[:20]

    @classmethod
    def from_spec(cls, spec):
        """The inverse of `spec()`."""
        config_class = KINDS[spec["kind"]].config_class
        fields = {f.name for f in dataclasses.fields(config_class)}
        config = config_class(
            **{k: _tuples(v) for k, v in spec["config"].items() if k in fields}
        )
        return cls(spec["kind"], config)


@functools.lru_cache(maxsize=4)
def _dataset(name, data_dir):
    return data.load(name, data_dir)


def dataset_for(config):
    """The loaded dataset a config trains on (loaded once per process)."""
    return _dataset(
        getattr(config, "dataset", "mnist"), getattr(config, "data_dir", None)
    )


def execute(task, logdir=None):
    """Computes one task's record in this process (what every engine runs).

    Args:
        task: a `Task`.
        logdir: a folder for TensorBoard summaries (kinds that write them
            put each run in a subfolder named after it); None writes none.
            Where summaries go never changes the record.
    """
    kind = KINDS[task.kind]
    dataset = dataset_for(task.config) if kind.uses_data else None
    if kind.summaries and logdir is not None:
        record = kind.run(task.config, dataset, logdir=logdir)
    else:
        record = kind.run(task.config, dataset)
    return records.jsonable(record)


def describe(task):
    """The task in a few words: its config fields that differ from the
    defaults (e.g. `init=zeros activation=tanh seed=3`)."""
    default = type(task.config)()
    return " ".join(
        f"{field.name}={getattr(task.config, field.name)}"
        for field in dataclasses.fields(task.config)
        if getattr(task.config, field.name) != getattr(default, field.name)
        or field.name == "seed"
    )


class EngineError(RuntimeError):
    """An engine could not compute some records (the rest are cached)."""


class EngineUnavailableError(EngineError):
    """The engine asked for needs a package that is not installed."""


def limit_inter_op_threads(threads):
    """Caps TensorFlow's inter-op pool, for processes that share a machine.

    Several runs at once on one machine would otherwise each run as many
    independent ops at once as the machine has cores. The intra-op pool
    keeps TensorFlow's default (the machine's cores) on purpose: Eigen
    blocks a large matrix product by the number of intra-op threads, so a
    different count changes the last float32 bits of the evaluation losses,
    and every engine must compute exactly the record a run in one process
    on the same machine computes.
    """
    import tensorflow as tf

    try:
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    except RuntimeError:
        # This process already configured (and started) TensorFlow.
        pass


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
            results.put((task.key, execute(task, logdir), None))
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
            for task in tasks:
                on_record(task, execute(task, self.logdir))
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


ENGINES = ("local", "ray")


def make_engine(name="local", address=None, logdir=None, workers=1, **options):
    """The engine a binary's `--engine`, `--workers` and `--ray_address`
    ask for.

    Args:
        name: "local" (this machine, no extra packages) or "ray" (Ray Tune
            trials, see `keras_initstudy.ray_engine`).
        address: for "ray", the cluster to join (None: a local instance).
        logdir: a folder for the runs' TensorBoard summaries, or None.
        workers: for "local", runs at once (see `LocalEngine`).
        **options: for "ray", more `ray_engine.RayEngine` arguments
            (`cpus_per_trial`, `max_failures`, ...).

    Returns:
        An engine for `Study`.

    Raises:
        ValueError: an unknown name, or Ray options for the local engine.
        EngineUnavailableError: "ray" without Ray Tune installed.
    """
    if name == "local":
        if address is not None or options:
            raise ValueError(
                "Ray options (--ray_address) need --engine=ray. Received: "
                f"address={address!r}, options={options}"
            )
        return LocalEngine(logdir, workers=workers)
    if workers != 1:
        raise ValueError(
            "--workers is for --engine=local; Ray runs one trial per "
            f"cpus_per_trial CPUs of the cluster. Received: workers={workers}"
        )
    if name == "ray":
        # Imported here so that the local engine never needs Ray.
        from keras_initstudy import ray_engine

        return ray_engine.RayEngine(address=address, logdir=logdir, **options)
    raise ValueError(
        f"Unknown engine; valid: {', '.join(ENGINES)}. Received: {name!r}"
    )


class Cache:
    """Records on disk, one folder per task key (see the module docstring)."""

    def __init__(self, cache_dir):
        self.cache_dir = cache_dir

    def folder(self, task):
        return os.path.join(self.cache_dir, task.kind, task.key)

    def get(self, task):
        """The cached record of `task`, or None."""
        path = os.path.join(self.folder(task), records.METRICS_FILE)
        if not os.path.isfile(path):
            return None
        return records.read_metrics(path)

    def put(self, task, record):
        """Stores `record`; the record file is written last, atomically."""
        folder = self.folder(task)
        os.makedirs(folder, exist_ok=True)
        records.write_json_atomic(os.path.join(folder, TASK_FILE), task.spec())
        records.write_metrics(folder, record)

    def tasks(self):
        """Every task with a finished record in the cache."""
        found = []
        if not os.path.isdir(self.cache_dir):
            return found
        for kind in sorted(os.listdir(self.cache_dir)):
            kind_dir = os.path.join(self.cache_dir, kind)
            if kind not in KINDS or not os.path.isdir(kind_dir):
                continue
            for key in sorted(os.listdir(kind_dir)):
                folder = os.path.join(kind_dir, key)
                if os.path.isfile(os.path.join(folder, records.METRICS_FILE)):
                    with open(os.path.join(folder, TASK_FILE)) as f:
                        found.append(Task.from_spec(json.load(f)))
        return found


@dataclasses.dataclass
class Progress:
    """What a progress callback is told after each run of `Study.records`.

    Attributes:
        done: runs finished so far (cached ones count at the start).
        total: runs asked for (distinct tasks).
        cached: how many of them came from the cache.
        task: the task that just finished (None for the initial report).
    """

    done: int
    total: int
    cached: int
    task: Task | None = None


class Study:
    """Returns records for tasks, running only those not yet cached.

    Examples:

    >>> study = Study("runs/cache")
    >>> tasks = [Task("classifier", runs.ClassifierConfig(seed=s))
    ...          for s in range(3)]
    >>> [r["test_accuracy"] for r in study.records(tasks)]  # doctest: +SKIP
    [0.1135, 0.1135, 0.1135]

    Args:
        cache_dir: the folder of cached records.
        engine: what computes missing records (`LocalEngine()` by default).
    """

    def __init__(self, cache_dir, engine=None):
        self.cache = Cache(cache_dir)
        self.engine = engine or LocalEngine()

    def records(self, tasks, rerun=False, progress=None):
        """The record of every task, in the order of `tasks`.

        Args:
            tasks: `Task`s; duplicates (same key) run once.
            rerun: recompute every task, replacing its cached record.
            progress: called with a `Progress` once before any run and after
                each run that finishes.

        Returns:
            A list of records (dicts), one per task.
        """
        unique = list({task.key: task for task in tasks}.values())
        found = {}
        if not rerun:
            for task in unique:
                record = self.cache.get(task)
                if record is not None:
                    found[task.key] = record
        missing = [task for task in unique if task.key not in found]
        cached = len(found)
        if progress:
            progress(Progress(cached, len(unique), cached))

        def on_record(task, record):
            self.cache.put(task, record)
            found[task.key] = record
            if progress:
                progress(Progress(len(found), len(unique), cached, task))

        if missing:
            self.engine.run(missing, on_record)
        return [found[task.key] for task in tasks]
