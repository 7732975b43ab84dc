"""The initializer sweep on MNIST: constants stay at the prior, He trains."""

import dataclasses
import json
import os
from unittest import mock

import keras
import tensorflow as tf

from keras_initstudy import initializers
from keras_initstudy.study import runner
from keras_initstudy.study.kinds import sweep
from tests import testutil


class _NeedsScale(keras.initializers.Initializer):
    """An initializer with a required argument the sweep knows nothing of."""

    def __init__(self, scale):
        self.scale = scale

    def __call__(self, shape, dtype=None):
        return keras.ops.full(shape, self.scale, dtype=dtype)


def _run_binary(*args):
    return testutil.run_module("experiments.sweep", *args)


class SweepTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        testutil.mnist()  # Resolves the data folder for the study's runs.

    def test_zeros_at_the_prior_he_trains(self):
        metrics = sweep.run(
            sweep.SweepConfig(
                inits=("zeros", "constant", "he_normal"),
                activations=("relu",),
            )
        )
        rows = {r["init"]: r for r in metrics["runs"]}
        self.assertEqual(
            rows["zeros"]["test_accuracy"], metrics["prior_accuracy"]
        )
        self.assertTrue(rows["zeros"]["matches_prior"])
        self.assertEqual(rows["zeros"]["distinct_units"], [1])
        self.assertEqual(rows["constant"]["init_value"], 0.05)
        self.assertEqual(rows["constant"]["distinct_units"], [1])
        self.assertEqual(rows["he_normal"]["distinct_units"], [128])
        # 100 SGD steps lift He far above the prior (measured ~0.88).
        self.assertGreater(rows["he_normal"]["test_accuracy"], 0.8)
        for row in rows.values():
            self.assertLen(row["train_loss"], 100)
        self.assertLen(sweep.table(metrics).splitlines(), 2 + 3)

    def test_default_is_the_registry_at_run_time(self):
        self.assertEqual(sweep.SweepConfig().init_names(), initializers.names())
        with mock.patch.dict(
            initializers.REGISTRY, {"needs_scale": _NeedsScale}
        ):
            self.assertIn("needs_scale", sweep.SweepConfig().init_names())

    def test_failing_init_is_a_row_not_a_skip(self):
        with mock.patch.dict(
            initializers.REGISTRY, {"needs_scale": _NeedsScale}
        ):
            config = sweep.SweepConfig(
                inits=("needs_scale",),
                activations=("relu", "tanh"),
                seeds=(0, 1),
                iterations=2,
            )
            metrics = sweep.run(config)
            # It never reaches an engine, which would only fail it again.
            self.assertEqual(sweep.tasks(config), [])
            self.assertLen(
                sweep.tasks(dataclasses.replace(config, inits=("zeros",))), 4
            )
        self.assertEqual(
            [(r["init"], r["seed"], r["status"]) for r in metrics["runs"]],
            [("needs_scale", 0, "error"), ("needs_scale", 1, "error")] * 2,
        )
        self.assertIn("scale", metrics["runs"][0]["error"])
        self.assertIn("| needs_scale | tanh | error |", sweep.table(metrics))
        out = self.create_tempdir().full_path
        (path,) = sweep.write_figures(metrics, out)
        testutil.assert_png(self, path)

    def test_binary_over_seeds_and_its_cache(self):
        out = self.create_tempdir().full_path
        cache = self.create_tempdir().full_path
        logdir = self.create_tempdir().full_path
        args = (
            "--init=zeros,xavier_normal",
            "--activation=tanh,sigmoid",
            "--iterations=3",
            "--seeds=2",
            f"--output_dir={out}",
            f"--cache_dir={cache}",
            f"--logdir={logdir}",
        )
        result = _run_binary(*args)
        self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
        self.assertCountEqual(
            os.listdir(out), ["metrics.json", "loss_curves.png"]
        )
        testutil.assert_png(self, os.path.join(out, "loss_curves.png"))
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
        self.assertEqual(
            [(r["init"], r["activation"], r["seed"]) for r in metrics["runs"]],
            [
                (init, activation, seed)
                for init in ("zeros", "xavier_normal")
                for activation in ("tanh", "sigmoid")
                for seed in (0, 1)
            ],
        )
        # One TensorBoard folder per run made (runs.run_name).
        self.assertCountEqual(
            os.listdir(logdir),
            [
                f"{init}_{activation}_seed{seed}"
                for init in ("zeros", "xavier_normal")
                for activation in ("tanh", "sigmoid")
                for seed in (0, 1)
            ],
        )
        self.assertLen(runner.Cache(cache).tasks(), 8)
        self.assertIn("run 8/8", result.stderr)

        again = _run_binary(*args)
        self.assertEqual(again.returncode, 0, msg=again.stderr[-2000:])
        self.assertNotIn("run 1/8", again.stderr)  # Nothing ran again.
        with open(os.path.join(out, "metrics.json")) as f:
            self.assertEqual(json.load(f), metrics)
        bad = _run_binary("--init=nope")
        self.assertNotEqual(bad.returncode, 0)
        self.assertNotIn("Traceback", bad.stderr)


if __name__ == "__main__":
    tf.test.main()
