"""The study's distributed engine: every task is a Ray Tune trial.

`RayEngine` has `engines.LocalEngine`'s interface, `run(tasks, on_record)`.
Each task (one configuration x one seed) becomes one trial of a
`tune.Tuner` over a grid of task keys, with `cpus_per_trial` CPUs (and
`gpus_per_trial` GPUs) reserved for it. The trial runs `runner.execute` on
whichever node Ray places it, exactly as the local engine does, then reports
the run's training loss through Tune (`iteration`, `train_loss`, every
`report_every` iterations and at the last; replayed after the run, so that
the training is the very code path of a local run, untouched by Tune) and,
with the last result, the record as JSON.

Records come back to the driver: a Tune callback in the driver process calls
`on_record` as each trial's last result arrives, and `runner.Study` writes the
record into its cache there (atomically). The cache therefore needs no
shared storage, and the workers need no access to it; a trial retried after
a node failure delivers its record once (the engine drops a repeat), so the
cache never holds a duplicate or a partial record.

Fault tolerance is Tune's: a trial whose worker or node dies is retried up to
`max_failures` times, elsewhere if its node is gone. Tune can give a trial up
on its first lost actor when two calls of a reused actor fail at once; trials
that end on a lost actor get up to `max_failures` more rounds of their own.
Trials that still fail make `run` raise `engines.EngineError` after every
other trial has finished and been cached; an interrupted study resumes from the
cache, running only the tasks without a record.

Ray is imported here only, when a `RayEngine` is made: the local engine and
every other module work without it.
"""

import json
import os
import uuid

from keras_initstudy.study import runner
from keras_initstudy.study.engines import base

EXTRA = "pip install 'keras_initstudy[distributed]'"
# The last result of a trial carries its record under this key.
RECORD_KEY = "record_json"


def _import_ray(local):
    """Ray and Tune, or `engines.EngineUnavailableError` naming the extra."""
    if local:
        # Ray binds its local services to the address it would use to reach
        # other machines unless told this; a single-machine instance has no
        # reason to listen beyond loopback. Read when Ray is first imported.
        os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
    # Tune's newer console output prints a table even at verbose=0; the
    # engine reports through `on_record`, not the console.
    os.environ.setdefault("RAY_AIR_NEW_OUTPUT", "0")
    try:
        import ray
        from ray import tune
    except ImportError as e:
        raise base.EngineUnavailableError(
            f"The ray engine needs Ray Tune, which is not installed ({e}); "
            f"install the extra: {EXTRA}"
        ) from None
    return ray, tune


def _trainable(config, specs, threads, report_every, logdir):
    """One Tune trial: one task's run, its loss curve, then its record."""
    from ray import tune

    base.limit_inter_op_threads(threads)
    record = runner.execute(runner.Task.from_spec(specs[config["key"]]), logdir)
    losses = record.get("train_loss") or []
    for i in range(report_every - 1, len(losses) - 1, report_every):
        tune.report({"iteration": i + 1, "train_loss": losses[i]})
    last = (
        {"iteration": len(losses), "train_loss": losses[-1]} if losses else {}
    )
    tune.report({**last, RECORD_KEY: json.dumps(record)})


class RayEngine:
    """Runs tasks as Ray Tune trials on a local instance or a cluster.

    Examples:

    >>> engine = RayEngine(address="head-node:6379")  # doctest: +SKIP
    >>> runner.Study("runs/cache", engine).records(tasks)  # doctest: +SKIP

    Args:
        address: a running cluster's address (`ray start --head` prints it;
            "auto" finds a local one); None starts a local instance with
            this machine's CPUs, stopped again when `run` returns.
        cpus_per_trial: CPUs reserved for each trial (and TensorFlow threads
            it uses).
        gpus_per_trial: GPUs reserved for each trial.
        max_failures: how often a failed trial is retried.
        storage_path: where Tune keeps its experiment folder (trial results,
            per-iteration losses); None is Tune's default, ~/ray_results.
            Records go into the study's cache, not here.
        report_every: report the training loss every this many iterations
            (and at the last): each report is a round trip to the driver,
            about as costly as a few training iterations of the default
            MLP, so the default matches the runs' evaluation cadence.
        logdir: a folder for TensorBoard summaries, written by the trials
            on the node that runs them (shared storage on a cluster), or
            None.

    Raises:
        engines.EngineUnavailableError: Ray Tune is not installed.
    """

    name = "ray"

    def __init__(
        self,
        address=None,
        cpus_per_trial=1,
        gpus_per_trial=0,
        max_failures=2,
        storage_path=None,
        report_every=10,
        logdir=None,
    ):
        if cpus_per_trial <= 0 or gpus_per_trial < 0 or max_failures < 0:
            raise ValueError(
                "Need cpus_per_trial > 0, gpus_per_trial >= 0 and "
                f"max_failures >= 0. Received: cpus_per_trial={cpus_per_trial}"
                f", gpus_per_trial={gpus_per_trial}, "
                f"max_failures={max_failures}"
            )
        if report_every < 1:
            raise ValueError(
                f"`report_every` must be >= 1. Received: {report_every}"
            )
        self.ray, self.tune = _import_ray(local=address is None)
        self.address = address
        self.cpus_per_trial = cpus_per_trial
        self.gpus_per_trial = gpus_per_trial
        self.max_failures = max_failures
        self.storage_path = storage_path
        self.report_every = report_every
        self.logdir = logdir

    def _connect(self):
        """Joins (or starts) Ray; True when this call started it."""
        import logging

        if self.ray.is_initialized():
            return False
        options = {
            "include_dashboard": False,
            "log_to_driver": False,
            "logging_level": logging.WARNING,
        }
        if self.address is None:
            self.ray.init(num_cpus=os.cpu_count(), **options)
        else:
            self.ray.init(address=self.address, **options)
        return True

    def _lost_actor(self, error):
        """Whether a trial's error is its actor's (or node's) death."""
        return isinstance(error, self.ray.exceptions.RayActorError)

    def _fit(self, trainable, keys, callback, round_index):
        """One `Tuner.fit` over the tasks `keys`; returns its ResultGrid."""
        tune = self.tune
        tuner = tune.Tuner(
            trainable,
            param_space={"key": tune.grid_search(list(keys))},
            tune_config=tune.TuneConfig(reuse_actors=True),
            run_config=tune.RunConfig(
                # Tune names a first run by its start time; a retry round
                # may start within the same second.
                name=None
                if round_index == 0
                else f"retry_{round_index}_{uuid.uuid4().hex[:8]}",
                storage_path=self.storage_path,
                failure_config=tune.FailureConfig(
                    max_failures=self.max_failures
                ),
                callbacks=[callback],
                verbose=0,
            ),
        )
        return tuner.fit()

    def run(self, tasks, on_record):
        """Runs every task as a trial; `on_record(task, record)` per record.

        Raises:
            engines.EngineError: some trials failed even after their retries
                (the records of all others have been handed over).
        """
        tasks = {task.key: task for task in tasks}
        tune = self.tune
        delivered = set()

        class _Records(tune.Callback):
            def on_trial_result(self, iteration, trials, trial, result, **info):
                key = trial.config["key"]
                if RECORD_KEY in result and key not in delivered:
                    delivered.add(key)
                    on_record(tasks[key], json.loads(result[RECORD_KEY]))

        started = self._connect()
        try:
            trainable = tune.with_resources(
                tune.with_parameters(
                    _trainable,
                    specs={key: task.spec() for key, task in tasks.items()},
                    threads=max(1, int(self.cpus_per_trial)),
                    report_every=self.report_every,
                    logdir=self.logdir,
                ),
                {"cpu": self.cpus_per_trial, "gpu": self.gpus_per_trial},
            )
            pending, rounds = list(tasks), 0
            while True:
                grid = self._fit(trainable, pending, _Records(), rounds)
                pending = [key for key in tasks if key not in delivered]
                # Tune can give a trial up on its first lost actor, its
                # retries left unused, when two of the actor's calls fail
                # at once (a reused actor on a node that goes down): such
                # trials, and only those, get another round of their own.
                if not pending or rounds == self.max_failures:
                    break
                if not all(self._lost_actor(e) for e in grid.errors):
                    break
                rounds += 1
        finally:
            if started:
                self.ray.shutdown()
        failed = [key for key in tasks if key not in delivered]
        if failed:
            errors = [str(e).strip().splitlines() for e in grid.errors]
            first = errors[0][-1] if errors and errors[0] else "interrupted"
            raise base.EngineError(
                f"{len(failed)} of {len(tasks)} runs did not finish on Ray "
                f"(each tried {self.max_failures + 1} times; first error: "
                f"{first}); the others are cached, run again to retry"
            )
