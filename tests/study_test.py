"""The study runner: task keys, the record cache, resuming, engines."""

import dataclasses
import json
import multiprocessing
import os
import signal

import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.study import data
from keras_initstudy.study import engines
from keras_initstudy.study import runner
from keras_initstudy.study.kinds import classifier
from keras_initstudy.study.kinds import deep_relu
from keras_initstudy.study.kinds import depth
from keras_initstudy.study.kinds import regression
from keras_initstudy.study.kinds import toy
from tests import testutil

# A run small enough to repeat: 5 minibatches of a 784-8-10 net.
_SMALL = classifier.ClassifierConfig(
    init="he_normal", hidden_units=(8,), iterations=5, batch_size=50
)


class _CountingEngine(engines.LocalEngine):
    """The local engine, counting runs and optionally failing after some."""

    def __init__(self, fail_after=None):
        self.ran = []
        self.fail_after = fail_after

    def run(self, tasks, on_record):
        for task in tasks:
            if self.fail_after is not None and len(self.ran) >= self.fail_after:
                raise KeyboardInterrupt
            self.ran.append(task.key)
            on_record(task, runner.execute(task))


class TaskTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        (
            "classifier",
            "classifier",
            classifier.ClassifierConfig(hidden_units=(64,)),
        ),
        ("toy", "toy", toy.ToyConfig(inits=("zeros",))),
        ("regression", "regression", regression.RegressionConfig(seed=3)),
        ("depth", "depth", depth.DepthConfig(inits=("he_normal",))),
        ("deep_relu", "deep_relu", deep_relu.DeepReluConfig(depth=5)),
    )
    def test_spec_round_trips_through_json(self, kind, config):
        task = runner.Task(kind, config)
        spec = json.loads(json.dumps(task.spec()))
        again = runner.Task.from_spec(spec)
        self.assertEqual(again, task)
        self.assertEqual(again.key, task.key)

    def test_key_depends_on_every_field(self):
        base = runner.Task("classifier", _SMALL)
        keys = {
            base.key,
            runner.Task("classifier", dataclasses.replace(_SMALL, seed=1)).key,
            runner.Task("classifier", dataclasses.replace(_SMALL)).key,
            runner.Task(
                "classifier",
                dataclasses.replace(_SMALL, iterations=6),
            ).key,
        }
        # The copy of _SMALL shares its key; seed and iterations do not.
        self.assertLen(keys, 3)

    def test_rejects_unknown_kind_and_wrong_config(self):
        with self.assertRaisesRegex(ValueError, "Received: kind='bogus'"):
            runner.Task("bogus", _SMALL)
        with self.assertRaisesRegex(TypeError, "takes a ToyConfig"):
            runner.Task("toy", _SMALL)


class StudyTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        testutil.mnist()  # Resolves the data folder for runner.execute.

    def test_second_call_reads_the_cache_and_rerun_recomputes(self):
        cache_dir = self.create_tempdir().full_path
        tasks = [
            runner.Task("classifier", dataclasses.replace(_SMALL))
            for _ in range(2)
        ] + [runner.Task("classifier", dataclasses.replace(_SMALL, seed=1))]
        engine = _CountingEngine()
        first = runner.Study(cache_dir, engine).records(tasks)
        self.assertLen(engine.ran, 2)  # The duplicate task ran once.
        self.assertEqual(first[0], first[1])
        self.assertNotEqual(first[0]["train_loss"], first[2]["train_loss"])

        again = _CountingEngine()
        self.assertEqual(runner.Study(cache_dir, again).records(tasks), first)
        self.assertEqual(again.ran, [])

        rerun = _CountingEngine()
        self.assertEqual(
            runner.Study(cache_dir, rerun).records(tasks, rerun=True), first
        )
        self.assertLen(rerun.ran, 2)
        self.assertCountEqual(
            [t.key for t in runner.Cache(cache_dir).tasks()],
            {t.key for t in tasks},
        )

    def test_an_interrupted_study_resumes_with_the_missing_runs_only(self):
        cache_dir = self.create_tempdir().full_path
        tasks = [
            runner.Task("classifier", dataclasses.replace(_SMALL, seed=s))
            for s in range(3)
        ]
        with self.assertRaises(KeyboardInterrupt):
            runner.Study(cache_dir, _CountingEngine(fail_after=1)).records(
                tasks
            )
        self.assertLen(runner.Cache(cache_dir).tasks(), 1)
        for task in tasks[1:]:
            self.assertFalse(
                os.path.exists(runner.Cache(cache_dir).folder(task))
            )

        resumed = _CountingEngine()
        seen = []
        runner.Study(cache_dir, resumed).records(tasks, progress=seen.append)
        self.assertEqual(resumed.ran, [tasks[1].key, tasks[2].key])
        self.assertEqual(
            [(p.done, p.total, p.cached) for p in seen],
            [(1, 3, 1), (2, 3, 1), (3, 3, 1)],
        )
        self.assertEqual([p.task for p in seen], [None, tasks[1], tasks[2]])

    def test_records_equal_a_direct_run(self):
        cache_dir = self.create_tempdir().full_path
        task = runner.Task("toy", toy.ToyConfig(steps=2))
        (record,) = runner.Study(cache_dir).records([task])
        direct = json.loads(json.dumps(toy.run(task.config)))
        self.assertEqual(record, direct)


class WorkersTest(tf.test.TestCase):
    """`LocalEngine(workers=2)`: worker processes, records as in-process."""

    def setUp(self):
        super().setUp()
        testutil.mnist()  # Resolves the data folder for the workers too.

    def tearDown(self):
        # Whatever happened, the engine leaves no worker process behind.
        self.assertEqual(multiprocessing.active_children(), [])
        super().tearDown()

    def test_records_equal_those_of_one_process(self):
        tasks = [
            runner.Task(
                "classifier",
                dataclasses.replace(_SMALL, init=init, seed=seed),
            )
            for init in ("he_normal", "zeros")
            for seed in (0, 1)
        ] + [runner.Task("toy", toy.ToyConfig(steps=2))]
        cache_dir = self.create_tempdir().full_path
        seen = []
        pooled = runner.Study(
            cache_dir, engines.LocalEngine(workers=2)
        ).records(tasks, progress=seen.append)
        self.assertEqual([p.done for p in seen], [0, 1, 2, 3, 4, 5])
        self.assertCountEqual(
            [p.task.key for p in seen[1:]], [t.key for t in tasks]
        )
        self.assertLen(runner.Cache(cache_dir).tasks(), len(tasks))
        got = {}
        engines.LocalEngine().run(tasks, lambda t, r: got.__setitem__(t.key, r))
        self.assertEqual(pooled, [got[t.key] for t in tasks])

    def test_a_run_error_is_raised_as_the_run_raised_it(self):
        empty = self.create_tempdir().full_path
        tasks = [
            runner.Task("classifier", dataclasses.replace(_SMALL, seed=s))
            for s in range(2)
        ] + [
            runner.Task(
                "classifier", dataclasses.replace(_SMALL, data_dir=empty)
            )
        ]
        with self.assertRaisesRegex(data.DatasetError, "IDX file"):
            engines.LocalEngine(workers=2).run(tasks, lambda t, r: None)

    def test_a_dead_worker_is_an_engine_error_after_cached_records(self):
        tasks = [
            runner.Task("classifier", dataclasses.replace(_SMALL, seed=s))
            for s in range(6)
        ]
        cache_dir = self.create_tempdir().full_path

        def kill_a_worker(progress):
            if progress.done == 1:
                worker = multiprocessing.active_children()[0]
                os.kill(worker.pid, signal.SIGKILL)

        with self.assertRaisesRegex(
            engines.EngineError, r"worker process died \(exit code -9\)"
        ):
            runner.Study(cache_dir, engines.LocalEngine(workers=2)).records(
                tasks, progress=kill_a_worker
            )
        cached = runner.Cache(cache_dir).tasks()
        self.assertNotEmpty(cached)
        self.assertLess(len(cached), len(tasks))
        for task in cached:
            self.assertIn(task, tasks)

    def test_workers_are_for_the_local_engine(self):
        self.assertEqual(engines.make_engine("local", workers=3).workers, 3)
        with self.assertRaisesRegex(ValueError, "--workers is for"):
            engines.make_engine("ray", workers=2)
        with self.assertRaisesRegex(ValueError, ">= 1"):
            engines.LocalEngine(workers=0)


if __name__ == "__main__":
    tf.test.main()
