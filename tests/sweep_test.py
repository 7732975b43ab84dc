"""The initializer sweep on MNIST: constants stay at the prior, He trains."""

import json
import os
from unittest import mock

import keras
import tensorflow as tf

from keras_initstudy import initializers
from keras_initstudy import sweep
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
    def test_zeros_at_the_prior_he_trains(self):
        metrics = sweep.run(
            sweep.SweepConfig(
                inits=("zeros", "constant", "he_normal"),
                activations=("relu",),
            ),
            dataset=testutil.mnist(),
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
            metrics = sweep.run(
                sweep.SweepConfig(
                    inits=("needs_scale",),
                    activations=("relu", "tanh"),
                    iterations=2,
                ),
                dataset=testutil.mnist(),
            )
        self.assertEqual(
            [(r["init"], r["status"]) for r in metrics["runs"]],
            [("needs_scale", "error"), ("needs_scale", "error")],
        )
        self.assertIn("scale", metrics["runs"][0]["error"])
        self.assertIn("| needs_scale | tanh | error |", sweep.table(metrics))
        out = self.create_tempdir().full_path
        (path,) = sweep.write_figures(metrics, out)
        testutil.assert_png(self, path)

    def test_binary(self):
        out = self.create_tempdir().full_path
        logdir = self.create_tempdir().full_path
        result = _run_binary(
            "--init=zeros,xavier_normal",
            "--activation=tanh,sigmoid",
            "--iterations=3",
            f"--output_dir={out}",
            f"--logdir={logdir}",
        )
        self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
        self.assertCountEqual(
            os.listdir(out), ["metrics.json", "loss_curves.png"]
        )
        testutil.assert_png(self, os.path.join(out, "loss_curves.png"))
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
        self.assertEqual(
            [(r["init"], r["activation"]) for r in metrics["runs"]],
            [
                ("zeros", "tanh"),
                ("zeros", "sigmoid"),
                ("xavier_normal", "tanh"),
                ("xavier_normal", "sigmoid"),
            ],
        )
        # One TensorBoard folder per run (runs.run_name).
        self.assertCountEqual(
            os.listdir(logdir),
            [
                "zeros_tanh_seed0",
                "zeros_sigmoid_seed0",
                "xavier_normal_tanh_seed0",
                "xavier_normal_sigmoid_seed0",
            ],
        )
        bad = _run_binary("--init=nope")
        self.assertNotEqual(bad.returncode, 0)
        self.assertNotIn("Traceback", bad.stderr)


if __name__ == "__main__":
    tf.test.main()
