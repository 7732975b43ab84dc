"""Zero init is fine without a hidden layer: regression reaches the optimum."""

import functools
import json
import math
import os

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.diagnostics import symmetry
from keras_initstudy.study import models
from keras_initstudy.study.kinds import regression
from tests import testutil


@functools.cache
def _softmax():
    config = regression.RegressionConfig()
    return regression.run_softmax(config, testutil.mnist())


class LinearRegressionTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(("seed0", 0), ("seed1", 1))
    def test_zeros_and_random_reach_the_closed_form(self, seed):
        config = regression.RegressionConfig(seed=seed)
        result = regression.run_linear(config)
        closed = result["closed_form"]
        for key in ("zeros", "random"):
            fit = result[key]
            self.assertLessEqual(fit["max_abs_weight_diff"], 1e-3, key)
            self.assertAllClose(fit["w"], closed["w"], atol=1e-3, rtol=0)
            self.assertAllClose(fit["b"], closed["b"], atol=1e-3, rtol=0)
            # The same final loss: the closed form's, up to float32 rounding.
            self.assertAllClose(fit["loss"][-1], closed["loss"], rtol=1e-4)
            self.assertLess(fit["loss"][-1], fit["loss"][0])
        self.assertAllEqual(result["zeros"]["w_init"], [0.0, 0.0, 0.0])
        # The random start is far from the answer, so the test means something.
        start = np.asarray(result["random"]["w_init"])
        self.assertGreater(np.max(np.abs(start - closed["w"])), 0.1)

    def test_closed_form_recovers_the_true_weights(self):
        config = regression.RegressionConfig()
        closed = regression.run_linear(config)["closed_form"]
        # Features are U(0, 1) (variance 1/12): the standard error of each
        # weight is about noise / sqrt(N / 12); allow 5 of them.
        stderr = config.noise / math.sqrt(config.num_examples / 12)
        self.assertAllClose(closed["w"], config.true_w, atol=5 * stderr, rtol=0)

    def test_article_shapes(self):
        x, y = regression.linear_data((1.0, 2.0, 3.0), 0.5, 10, 0.0, seed=0)
        self.assertEqual(x.shape, (3, 10))
        self.assertEqual(y.shape, (10,))
        w, b = regression.least_squares(x, y)
        self.assertAllClose(w, [1.0, 2.0, 3.0], atol=1e-5)
        self.assertAllClose(b, 0.5, atol=1e-5)


class SoftmaxRegressionTest(tf.test.TestCase):
    def test_zeros_reach_ninety_percent_like_random(self):
        result = _softmax()
        self.assertGreaterEqual(result["zeros"]["test_accuracy"], 0.90)
        self.assertGreaterEqual(result["random"]["test_accuracy"], 0.90)
        self.assertLessEqual(result["accuracy_gap_points"], 0.5)
        self.assertEqual(result["zeros"]["status"], "ok")

    def test_first_gradient_differs_for_every_output_unit(self):
        # No hidden layer: each output unit's gradient is x^T (p_k - y_k),
        # different per class from the first step, so no two units tie.
        ds = testutil.mnist()
        model = models.mlp((), kernel_initializer="zeros")
        with tf.GradientTape() as tape:
            logits = model(tf.constant(ds.x_train[:100]))
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=ds.y_train[:100], logits=logits
                )
            )
        kernel_grad, bias_grad = tape.gradient(loss, model.trainable_variables)
        self.assertEqual(
            symmetry.distinct_units(kernel_grad.numpy(), bias_grad.numpy()),
            10,
        )


class BinaryLogisticTest(tf.test.TestCase):
    def test_zeros_separate_zero_from_one(self):
        config = regression.RegressionConfig(iterations=200)
        result = regression.run_binary(config, testutil.mnist())
        # 2115 test images of 0 and 1; a linear model separates them almost
        # perfectly from any start.
        self.assertEqual(
            result["test_size"], sum(testutil.MNIST_TEST_COUNTS[:2])
        )
        for key in ("zeros", "random"):
            self.assertGreaterEqual(result[key]["test_accuracy"], 0.99, key)
            losses = result[key]["train_loss"]
            self.assertLess(losses[-1], losses[0])
        self.assertAllClose(result["zeros"]["train_loss"][0], math.log(2))


class BinaryTest(tf.test.TestCase):
    def test_writes_metrics_and_figure(self):
        out = self.create_tempdir().full_path
        proc = testutil.run_module(
            "experiments.regression",
            "--iterations=50",
            "--linear_steps=200",
            f"--output_dir={out}",
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
        self.assertEqual(
            sorted(metrics),
            ["binary", "config", "data_source", "linear", "softmax"],
        )
        self.assertLessEqual(
            metrics["linear"]["zeros"]["max_abs_weight_diff"], 1e-3
        )
        self.assertIn("linear regression from zeros", proc.stderr)
        with open(os.path.join(out, "loss.png"), "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")

    def test_unknown_random_init(self):
        proc = testutil.run_module("experiments.regression", "--random_init=x")
        self.assertNotEqual(proc.returncode, 0)
        self.assertNotIn("Traceback", proc.stderr)
        self.assertIn("he_normal", proc.stderr)


if __name__ == "__main__":
    tf.test.main()
