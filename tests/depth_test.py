"""The deep-MLP signal claims (Glorot & Bengio 2010; CS231n), on real MNIST.

Ten tanh or relu layers of 500 units at initialization, fed one batch of
1000 real training images:

- tanh + small random N(0, 0.01²): each layer scales the std by about
  0.01 * sqrt(500) ~ 0.22, so layer 10 has < 1e-3 of layer 1's std;
- tanh + large random N(0, 1): >= 80% of the last layer's activations are
  saturated;
- tanh + Xavier and relu + He: layer 10's std is within a factor 3 of
  layer 1's.
"""

import functools
import json
import os

import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.diagnostics import signals
from keras_initstudy.study.kinds import depth
from tests import testutil

# The CS231n demo (Gaussian inputs 1000 x 500, 10 tanh layers of 500,
# weights 0.01 * randn): the std of layers 1-4 as the notes print them.
CS231N_STD = (0.213, 0.048, 0.011, 0.0024)


@functools.cache
def _mnist_runs():
    """tanh and relu x the four inits at the default size, one batch."""
    metrics = depth.run(
        depth.DepthConfig(activations=("tanh", "relu")),
        dataset=testutil.mnist(),
    )
    return {(r["activation"], r["init"]): r for r in metrics["runs"]}


def _run_binary(*args):
    return testutil.run_module("experiments.depth", *args)


class MnistSignalsTest(tf.test.TestCase, parameterized.TestCase):
    def test_tanh_small_random_vanishes(self):
        run = _mnist_runs()[("tanh", "small_random")]
        self.assertLen(run["std"], 10)
        self.assertLess(run["std"][-1], 1e-3 * run["std"][0])
        self.assertEqual(run["verdict"], signals.VANISHING)

    def test_tanh_large_random_saturates(self):
        run = _mnist_runs()[("tanh", "large_random")]
        self.assertGreaterEqual(run["saturated_fraction"][-1], 0.8)
        self.assertEqual(run["verdict"], signals.SATURATED)

    @parameterized.named_parameters(
        ("tanh_xavier", "tanh", "xavier_normal"),
        ("relu_he", "relu", "he_normal"),
    )
    def test_stable(self, activation, init):
        run = _mnist_runs()[(activation, init)]
        first, last = run["std"][0], run["std"][9]
        self.assertBetween(last, first / 3, 3 * first)
        self.assertEqual(run["verdict"], signals.STABLE)

    def test_relu_large_random_explodes(self):
        run = _mnist_runs()[("relu", "large_random")]
        self.assertEqual(run["verdict"], signals.EXPLODING)

    def test_every_combination_recorded(self):
        runs = _mnist_runs()
        self.assertLen(runs, 2 * len(depth.DEFAULT_INITS))
        for run in runs.values():
            self.assertIn(run["verdict"], signals.VERDICTS)
            self.assertLen(run["histogram"], 10)
            self.assertLen(run["grad_kernel_std"], 10)


class GaussianAnchorTest(tf.test.TestCase):
    def test_matches_the_cs231n_demo(self):
        metrics = depth.run(
            depth.DepthConfig(
                activations=("tanh",),
                inits=("small_random",),
                inputs="gaussian",
            )
        )
        (run,) = metrics["runs"]
        # The notes print 2-3 digits: 0.011 stands for [0.0105, 0.0115],
        # i.e. +-4.5%; our seed-to-seed spread is under 1%.
        self.assertAllClose(run["std"][:4], CS231N_STD, rtol=0.05, atol=0)
        self.assertAllClose(metrics["input_std"], 1.0, atol=0.01)
        self.assertEqual(run["verdict"], signals.VANISHING)


class DepthRunTest(tf.test.TestCase):
    small = dict(depth=3, width=16, batch_size=50)

    def test_same_seed_same_record(self):
        config = depth.DepthConfig(**self.small)
        first = depth.run(config, dataset=testutil.mnist())
        self.assertEqual(first, depth.run(config, dataset=testutil.mnist()))
        other = depth.run(
            depth.DepthConfig(**self.small, seed=1), dataset=testutil.mnist()
        )
        self.assertNotEqual(first["runs"][0]["std"], other["runs"][0]["std"])

    def test_rejects_bad_config(self):
        with self.assertRaisesRegex(ValueError, "inputs=.*bogus"):
            depth.DepthConfig(inputs="bogus")
        with self.assertRaisesRegex(ValueError, "depth=0"):
            depth.DepthConfig(depth=0)

    def test_binary_writes_metrics_and_figures(self):
        out = self.create_tempdir().full_path
        result = _run_binary(
            "--depth=3",
            "--width=16",
            "--batch_size=50",
            "--activation=tanh,relu",
            f"--output_dir={out}",
        )
        self.assertEqual(result.returncode, 0, msg=result.stderr[-2000:])
        self.assertCountEqual(
            os.listdir(out),
            [
                "metrics.json",
                "histograms_tanh.png",
                "histograms_relu.png",
                "signal_std.png",
            ],
        )
        for name in os.listdir(out):
            if name.endswith(".png"):
                testutil.assert_png(self, os.path.join(out, name))
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
        self.assertLen(metrics["runs"], 2 * len(depth.DEFAULT_INITS))
        self.assertEqual(metrics["config"]["depth"], 3)

    def test_binary_bad_input_is_one_line(self):
        out = self.create_tempdir().full_path
        blocker = os.path.join(out, "file")
        with open(blocker, "w") as f:
            f.write("not a folder")
        result = _run_binary("--depth=2", f"--output_dir={blocker}/sub")
        self.assertNotEqual(result.returncode, 0)
        self.assertNotIn("Traceback", result.stderr)
        self.assertIn("not writable", result.stderr)
        result = _run_binary("--init=bogus")
        self.assertNotEqual(result.returncode, 0)
        self.assertNotIn("Traceback", result.stderr)


if __name__ == "__main__":
    tf.test.main()
