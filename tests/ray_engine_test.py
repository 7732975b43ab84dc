"""The Ray Tune engine on a two-node cluster: the local engine's records."""

import json
import os

# Ray's services listen on loopback only (read when Ray is imported).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

import re  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import ray  # noqa: E402
import tensorflow as tf  # noqa: E402
from ray import cluster_utils  # noqa: E402

from keras_initstudy.study import engines  # noqa: E402
from keras_initstudy.study import records  # noqa: E402
from keras_initstudy.study import runner  # noqa: E402
from keras_initstudy.study.engines import ray as ray_engine  # noqa: E402
from keras_initstudy.study.kinds import phase_diagram  # noqa: E402
from keras_initstudy.study.kinds import sweep  # noqa: E402
from tests import testutil  # noqa: E402

# 4 inits x 2 activations = 8 configurations, x 2 seeds: 16 small runs.
_SWEEP = sweep.SweepConfig(
    inits=("zeros", "he_normal", "xavier_normal", "lecun_normal"),
    activations=("relu", "tanh"),
    seeds=(0, 1),
    hidden_units=(16,),
    iterations=10,
    batch_size=50,
)
_SWEEP_FLAGS = (
    "--init=" + ",".join(_SWEEP.inits),
    "--activation=" + ",".join(_SWEEP.activations),
    "--seed=0",
    "--seeds=2",
    "--hidden_units=16",
    "--iterations=10",
    "--batch_size=50",
)
# TensorFlow's and absl's native start-up logging, not the binary's output.
_NATIVE_LOG = re.compile(r"^([IWEF]\d{4} |WARNING: All log messages before)")


def _cache_listing(cache_dir):
    """Every file under the cache, relative to it (temp files included)."""
    found = []
    for root, _, files in os.walk(cache_dir):
        found += [
            os.path.relpath(os.path.join(root, f), cache_dir) for f in files
        ]
    return sorted(found)


class RayEngineTest(tf.test.TestCase):
    """One simulated cluster (a head and a worker, 1 CPU each) for all."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The data folder goes into the environment the nodes inherit.
        testutil.mnist()
        cls.tasks = sweep.tasks(_SWEEP)
        cls.scratch = tempfile.TemporaryDirectory()
        cls.local = runner.Study(
            os.path.join(cls.scratch.name, "local")
        ).records(cls.tasks)
        cls.cluster = cluster_utils.Cluster(
            initialize_head=True,
            head_node_args={"num_cpus": 1, "include_dashboard": False},
        )
        cls.worker = cls.cluster.add_node(num_cpus=1)
        ray.init(address=cls.cluster.address, log_to_driver=False)

    @classmethod
    def tearDownClass(cls):
        ray.shutdown()
        cls.cluster.shutdown()
        cls.scratch.cleanup()
        super().tearDownClass()

    def _engine(self, **kwargs):
        return engines.make_engine(
            "ray",
            address=self.cluster.address,
            storage_path=self.create_tempdir().full_path,
            **kwargs,
        )

    def _assert_cache_holds_the_local_records(self, cache_dir):
        cache = runner.Cache(cache_dir)
        self.assertCountEqual(
            [t.key for t in cache.tasks()], [t.key for t in self.tasks]
        )
        for task, local in zip(self.tasks, self.local, strict=True):
            self.assertEqual(cache.get(task), local, msg=task)
        # One task.json and one metrics.json per run: no temp files left by
        # an interrupted write, no second copy of a run.
        self.assertCountEqual(
            _cache_listing(cache_dir),
            [
                os.path.join(os.path.relpath(cache.folder(t), cache_dir), name)
                for t in self.tasks
                for name in (runner.TASK_FILE, records.METRICS_FILE)
            ],
        )

    def test_the_local_engine_is_deterministic_per_seed(self):
        # What the comparisons below rest on: a second local run of a task
        # gives the same record, and the seeds give different ones.
        again = runner.Study(self.create_tempdir().full_path).records(
            self.tasks[:2]
        )
        self.assertEqual(again, self.local[:2])
        he_seeds = [
            record["train_loss"]
            for task, record in zip(self.tasks, self.local, strict=True)
            if (task.config.init, task.config.activation)
            == ("he_normal", "relu")
        ]
        self.assertLen(he_seeds, 2)
        self.assertNotEqual(*he_seeds)

    def test_binary_on_the_cluster_writes_the_local_records(self):
        cache_dir = self.create_tempdir().full_path
        result = testutil.run_module(
            "experiments.sweep",
            *_SWEEP_FLAGS,
            "--engine=ray",
            f"--ray_address={self.cluster.address}",
            f"--cache_dir={cache_dir}",
            f"--output_dir={self.create_tempdir().full_path}",
        )
        self.assertEqual(result.returncode, 0, msg=result.stderr[-3000:])
        self._assert_cache_holds_the_local_records(cache_dir)

    def test_trainability_grid_on_the_cluster_equals_local(self):
        grid = phase_diagram.GridConfig(
            sigma_w2=(1.0, 3.0),
            depths=(2, 3),
            width=16,
            iterations=10,
            batch_size=32,
        )
        local = runner.Study(self.create_tempdir().full_path).records(
            grid.tasks()
        )
        cache_dir = self.create_tempdir().full_path
        result = testutil.run_module(
            "experiments.trainability",
            "--activation=tanh",
            "--sigma_w2=1,3",
            "--depths=2,3",
            "--width=16",
            "--iterations=10",
            "--batch_size=32",
            "--nofigure",
            "--engine=ray",
            f"--ray_address={self.cluster.address}",
            f"--cache_dir={cache_dir}",
            f"--output_dir={self.create_tempdir().full_path}",
        )
        self.assertEqual(result.returncode, 0, msg=result.stderr[-3000:])
        cache = runner.Cache(cache_dir)
        self.assertLen(cache.tasks(), 4)
        for task, record in zip(grid.tasks(), local, strict=True):
            self.assertEqual(cache.get(task), record, msg=task)

    def test_a_node_killed_mid_sweep_loses_no_run(self):
        cache_dir = self.create_tempdir().full_path
        removed = []

        def kill_worker_after_a_few_records():
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                if len(runner.Cache(cache_dir).tasks()) >= 3:
                    self.cluster.remove_node(self.worker)
                    removed.append(len(runner.Cache(cache_dir).tasks()))
                    return
                time.sleep(0.1)

        killer = threading.Thread(target=kill_worker_after_a_few_records)
        killer.start()
        try:
            got = runner.Study(cache_dir, self._engine(max_failures=3)).records(
                self.tasks
            )
        finally:
            killer.join()
            if removed:
                type(self).worker = self.cluster.add_node(num_cpus=1)
        self.assertLen(removed, 1)
        # The node went down with runs still to go.
        self.assertLess(removed[0], len(self.tasks))
        self.assertEqual(got, self.local)
        self._assert_cache_holds_the_local_records(cache_dir)

    def _fits(self, errors):
        """An engine whose `Tuner.fit` rounds are stand-ins: round i fails
        the keys of `errors[i]` (a key -> error dict) and delivers every
        other key not delivered yet. Returns the engine and its rounds."""
        engine = self._engine(max_failures=2)
        rounds = []
        by_key = dict(zip((t.key for t in self.tasks), self.local, strict=True))

        class Trial:
            def __init__(self, key):
                self.config = {"key": key}

        class Grid:
            def __init__(self, failed):
                self.errors = list(failed.values())

        def fit(trainable, keys, callback, round_index):
            del trainable
            failed = errors[min(round_index, len(errors) - 1)]
            rounds.append(list(keys))
            for key in keys:
                if key not in failed:
                    result = {ray_engine.RECORD_KEY: json.dumps(by_key[key])}
                    callback.on_trial_result(0, [], Trial(key), result)
            return Grid({k: v for k, v in failed.items() if k in keys})

        engine._fit = fit
        return engine, rounds

    def test_trials_given_up_on_a_lost_actor_get_another_round(self):
        key = self.tasks[0].key
        lost = ray.exceptions.ActorDiedError()
        engine, rounds = self._fits([{key: lost}, {}])
        cache_dir = self.create_tempdir().full_path
        got = runner.Study(cache_dir, engine).records(self.tasks)
        self.assertEqual(got, self.local)
        self.assertEqual(rounds[1], [key])

    def test_a_failing_task_gets_no_extra_round(self):
        key = self.tasks[0].key
        engine, rounds = self._fits([{key: ValueError("bad")}])
        cache_dir = self.create_tempdir().full_path
        with self.assertRaisesRegex(
            engines.EngineError, f"1 of {len(self.tasks)} runs"
        ):
            runner.Study(cache_dir, engine).records(self.tasks)
        self.assertLen(rounds, 1)

    def test_rounds_stop_at_max_failures(self):
        key = self.tasks[0].key
        lost = ray.exceptions.ActorDiedError()
        engine, rounds = self._fits([{key: lost}])
        cache_dir = self.create_tempdir().full_path
        with self.assertRaises(engines.EngineError):
            runner.Study(cache_dir, engine).records(self.tasks)
        self.assertLen(rounds, 3)  # The first, and max_failures=2 more.


class WithoutRayTest(tf.test.TestCase):
    def test_engine_ray_without_the_extra_is_one_line_and_exit_2(self):
        shim = self.create_tempdir()
        # A `ray` package that fails to import, as when the extra is absent.
        shim.create_file(
            "ray/__init__.py",
            "raise ModuleNotFoundError(\"No module named 'ray'\", name='ray')",
        )
        out = self.create_tempdir().full_path
        result = testutil.run_module(
            "experiments.sweep",
            "--engine=ray",
            "--init=zeros",
            f"--output_dir={out}",
            f"--cache_dir={out}",
            env={
                "PYTHONPATH": os.pathsep.join(
                    [shim.full_path, testutil.REPO_ROOT]
                )
            },
        )
        self.assertEqual(result.returncode, 2, msg=result.stderr)
        lines = [
            line
            for line in result.stderr.splitlines()
            if line.strip() and not _NATIVE_LOG.match(line)
        ]
        self.assertLen(lines, 1, msg=result.stderr)
        self.assertIn("pip install 'keras_initstudy[distributed]'", lines[0])
        self.assertNotIn("Traceback", result.stderr)
        self.assertEqual(os.listdir(out), [])


if __name__ == "__main__":
    tf.test.main()
