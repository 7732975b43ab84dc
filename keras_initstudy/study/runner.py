"""The study runner: tasks in, records out, each run made once.

A `Task` is one run of the study: a kind (`KINDS`: "classifier", "toy",
"regression", "depth", "deep_relu") and that kind's frozen config dataclass,
seed included. Its `key` is a hash of the kind and the full config, so two
tasks that would compute the same record share one cache entry.

`Study(cache_dir, engine)` answers `records(tasks)`: records already in the
cache are read back, the missing ones are handed to the engine, and each
record the engine returns is written into the cache (atomically) as soon as
it arrives. An interrupted study therefore resumes where it stopped. The
engine only computes: `InProcessEngine` runs tasks one after another in
this process (loading each dataset once); the engines of
`keras_initstudy.study.engines` run several at a time in worker processes
on this machine, or on a Ray cluster, each running the same `execute` and
handing back the same records, so the cache cannot tell which engine made a
run.

Cache layout: `<cache_dir>/<kind>/<key>/task.json` (the task's spec) and
`metrics.json` (the record, written last: its presence marks a finished
run).
"""

import dataclasses
import functools
import hashlib
import json
import os

from keras_initstudy.study import data
from keras_initstudy.study import records
from keras_initstudy.study.kinds import KINDS

# Bumped whenever a change to the library changes what a record holds for
# the same config: old cache entries are then simply not found.
RECORD_VERSION = 1
TASK_FILE = "task.json"


def _tuples(value):
    """JSON lists back into the tuples the config dataclasses hold."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


@dataclasses.dataclass(frozen=True)
class Task:
    """One run of the study: a kind and its config.

    Examples:

    >>> config = classifier.ClassifierConfig(init="zeros", seed=1)
    >>> task = Task("classifier", config)
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
    if kind.run_name is not None and logdir is not None:
        folder = os.path.join(logdir, kind.run_name(task.config))
        record = kind.run(task.config, dataset, logdir=folder)
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


class InProcessEngine:
    """Runs tasks one after another in this process (loading each dataset
    once); the engine a `Study` uses when given none.

    Args:
        logdir: a folder for the runs' TensorBoard summaries (see
            `execute`), or None.
    """

    name = "in_process"

    def __init__(self, logdir=None):
        self.logdir = logdir

    def run(self, tasks, on_record):
        """Calls `on_record(task, record)` for each task as it finishes."""
        for task in tasks:
            on_record(task, execute(task, self.logdir))


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
    >>> tasks = [Task("classifier", classifier.ClassifierConfig(seed=s))
    ...          for s in range(3)]
    >>> [r["test_accuracy"] for r in study.records(tasks)]  # doctest: +SKIP
    [0.1135, 0.1135, 0.1135]

    Args:
        cache_dir: the folder of cached records.
        engine: what computes missing records: an engine of
            `keras_initstudy.study.engines` (`InProcessEngine()`, one run
            after another in this process, by default).
    """

    def __init__(self, cache_dir, engine=None):
        self.cache = Cache(cache_dir)
        self.engine = engine or InProcessEngine()

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
