"""What keeps hidden units identical and what breaks the tie, on MNIST.

Covers the SymmetryMonitor callback, the experiments/mnist.py options
(--init_value, --dropout, --bias_init, --output_init), the prior block of
metrics.json, and the loss-curve figures.
"""

import functools
import json
import math
import os

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized
from matplotlib import pyplot

from keras_initstudy.diagnostics import callbacks
from keras_initstudy.diagnostics import prior as prior_lib
from keras_initstudy.diagnostics import symmetry
from keras_initstudy.study import models
from keras_initstudy.study import plots
from keras_initstudy.study import training
from keras_initstudy.study.kinds import classifier
from tests import testutil

ITERATIONS = 100


class _FinalWeights(keras.callbacks.Callback):
    """Keeps the hidden layer's weights at the end of training."""

    def on_train_end(self, logs=None):
        layer = self.model.get_layer("hidden_1")
        self.kernel = layer.kernel.numpy()
        self.bias = layer.bias.numpy()


@functools.cache
def _run(**kwargs):
    """One cached MNIST run per config: several tests read the same run."""
    final = _FinalWeights()
    metrics = classifier.run_classifier(
        classifier.ClassifierConfig(**kwargs),
        dataset=testutil.mnist(),
        callbacks=[final],
    )
    return metrics, final


def _hidden(metrics):
    return metrics["symmetry"]["hidden_1"]


def _prior_accuracy():
    ds = testutil.mnist()
    return float(np.mean(ds.y_test == np.argmax(np.bincount(ds.y_train))))


def _compare(*args):
    return testutil.run_module("experiments.compare", *args)


CONSTANT_SIGMOID = dict(init="constant", init_value=0.05, activation="sigmoid")


class SymmetryMonitorTest(tf.test.TestCase):
    def _data(self):
        rng = np.random.default_rng(0)
        x = rng.random((60, 28, 28), dtype=np.float32)
        return x, rng.integers(0, 10, 60)

    def test_records_every_iteration_in_the_training_loop(self):
        x, y = self._data()
        monitor = callbacks.SymmetryMonitor()
        model = models.mlp((6, 5), kernel_initializer="zeros")
        training.train(
            model,
            x,
            y,
            training.TrainConfig(iterations=7, batch_size=20),
            [monitor],
        )
        self.assertEqual(sorted(monitor.history), ["hidden_1", "hidden_2"])
        for entry in monitor.history.values():
            self.assertEqual(entry["iteration"], list(range(8)))
            self.assertEqual(entry["distinct_units"], [1] * 8)
            self.assertEqual(entry["max_pairwise_distance"], [0.0] * 8)

    def test_every_and_model_fit(self):
        x, y = self._data()
        model = models.mlp((6,), kernel_initializer="he_normal", seed=0)
        model.compile(
            "sgd",
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        monitor = callbacks.SymmetryMonitor(every=2)
        # 2 epochs of 3 batches: Keras restarts `batch` at 0 each epoch,
        # the monitor keeps counting iterations.
        model.fit(x, y, batch_size=20, epochs=2, verbose=0, callbacks=[monitor])
        entry = monitor.history["hidden_1"]
        self.assertEqual(entry["iteration"], [0, 2, 4, 6])
        self.assertEqual(entry["distinct_units"], [6] * 4)
        self.assertGreater(min(entry["max_pairwise_distance"]), 0.0)

    def test_invalid_every(self):
        with self.assertRaisesRegex(ValueError, "every=0"):
            callbacks.SymmetryMonitor(every=0)

    def test_graph_screen_records_what_numpy_computes(self):
        # Every layer kind the monitor meets: random, symmetric, grouped
        # (two prototypes), without bias, and with a NaN weight.
        rng = np.random.default_rng(0)
        prototypes = rng.normal(0, 0.1, (20, 2)).astype(np.float32)
        weights = {
            "random": [rng.normal(0, 0.1, (20, 12)), rng.normal(0, 1, 12)],
            "constant": [np.full((20, 12), 0.05), np.zeros(12)],
            "groups": [prototypes[:, np.arange(12) % 2], np.zeros(12)],
            "no_bias": [np.zeros((20, 12))],
            "nan": [np.where(np.eye(20, 12) > 0, np.nan, 0.1), np.zeros(12)],
        }
        inputs = keras.Input((20,))
        outputs = [
            keras.layers.Dense(12, name=name, use_bias=len(w) == 2)(inputs)
            for name, w in weights.items()
        ]
        model = keras.Model(inputs, outputs)
        for name, w in weights.items():
            model.get_layer(name).set_weights([np.float32(a) for a in w])
        monitor = callbacks.SymmetryMonitor(layer_names=list(weights))
        monitor.set_model(model)
        monitor.on_train_begin()
        for name, w in weights.items():
            kernel, bias = (
                np.float32(w[0]),
                np.float32(w[1]) if w[1:] else None,
            )
            distinct, distance = symmetry.symmetry_summary(kernel, bias)
            entry = monitor.history[name]
            self.assertEqual(entry["distinct_units"], [distinct], name)
            np.testing.assert_equal(
                entry["max_pairwise_distance"], [distance], name
            )
        self.assertEqual(
            [monitor.history[n]["distinct_units"][0] for n in weights],
            [12, 1, 2, 1, 12],
        )


class ConstantInitTest(tf.test.TestCase):
    def test_one_distinct_unit_at_every_iteration(self):
        metrics, final = _run(**CONSTANT_SIGMOID)
        entry = _hidden(metrics)
        self.assertEqual(entry["iteration"], list(range(ITERATIONS + 1)))
        self.assertEqual(entry["distinct_units"], [1] * (ITERATIONS + 1))
        self.assertLessEqual(
            max(entry["max_pairwise_distance"]), symmetry.SYMMETRY_ATOL
        )
        # Not a frozen layer: the one unit did learn (sigmoid, g(0.05) != 0).
        self.assertGreater(np.max(np.abs(final.kernel - 0.05)), 1e-4)

    def test_accuracy_far_below_random_init(self):
        constant, _ = _run(**CONSTANT_SIGMOID)
        random, _ = _run(init="random_normal", activation="sigmoid")
        self.assertEqual(_hidden(random)["distinct_units"][0], 128)
        self.assertLess(
            constant["test_accuracy"], random["test_accuracy"] - 0.3
        )

    def test_dropout_breaks_the_tie(self):
        # Each unit gets its own dropout mask, hence its own gradient.
        metrics, _ = _run(**CONSTANT_SIGMOID, dropout=0.5)
        counts = _hidden(metrics)["distinct_units"]
        self.assertEqual(counts[0], 1)
        self.assertGreater(max(counts), 1)
        self.assertGreater(max(_hidden(metrics)["max_pairwise_distance"]), 0)

    def test_dropout_cannot_break_zeros_with_relu(self):
        # relu(0) = 0 and relu'(0) = 0: dropout masks zeros, gradients stay 0.
        metrics, final = _run(init="zeros", dropout=0.5)
        entry = _hidden(metrics)
        self.assertEqual(entry["distinct_units"], [1] * (ITERATIONS + 1))
        self.assertEqual(entry["max_pairwise_distance"], [0.0] * 101)
        self.assertAllEqual(final.kernel, np.zeros_like(final.kernel))
        self.assertAllEqual(final.bias, np.zeros_like(final.bias))
        self.assertEqual(metrics["test_accuracy"], _prior_accuracy())

    def test_dropout_zero_relu_gradients_are_exactly_zero(self):
        ds = testutil.mnist()
        model = models.mlp((128,), kernel_initializer="zeros", dropout=0.5)
        with tf.GradientTape() as tape:
            logits = model(tf.constant(ds.x_train[:100]), training=True)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=ds.y_train[:100], logits=logits
                )
            )
        names = [v.path for v in model.trainable_variables]
        grads = dict(
            zip(
                names,
                tape.gradient(loss, model.trainable_variables),
                strict=True,
            )
        )
        for name, grad in grads.items():
            if name != "output/bias":
                self.assertAllEqual(grad, tf.zeros_like(grad), msg=name)
        self.assertNotAllEqual(grads["output/bias"], 0.0)


class BiasAndOutputInitTest(tf.test.TestCase, parameterized.TestCase):
    def test_random_biases_break_the_tie_in_value_only(self):
        # Units differ by their biases from iteration 0, but every unit's
        # kernel gradient is the same vector times a per-unit factor: the
        # kernel stays rank one while the weights are small, and units with a
        # negative bias (relu'(b) = 0) never move at all.
        metrics, final = _run(init="zeros", bias_init="random_normal")
        self.assertEqual(
            _hidden(metrics)["distinct_units"], [128] * (ITERATIONS + 1)
        )
        singular = np.linalg.svd(final.kernel, compute_uv=False)
        self.assertGreater(singular[0], 0.0)
        self.assertLess(singular[1], 1e-4 * singular[0])
        dead = final.bias < 0
        self.assertTrue(dead.any())
        self.assertAllEqual(final.kernel[:, dead], 0.0 * final.kernel[:, dead])

    def test_random_biases_train_eventually(self):
        # tanh'(b) != 0 for every unit: all of them escape the rank-one
        # start once the weights grow.
        metrics, _ = _run(
            init="zeros",
            bias_init="random_normal",
            activation="tanh",
            iterations=1000,
        )
        self.assertGreater(metrics["test_accuracy"], _prior_accuracy() + 0.4)

    def test_zeros_only_in_the_output_layer_is_safe(self):
        # The hidden units already differ, so the first output gradient
        # a^T (p - y) differs per output unit and the net trains.
        metrics, _ = _run(init="he_normal", output_init="zeros")
        self.assertEqual(metrics["config"]["output_init"], "zeros")
        self.assertEqual(_hidden(metrics)["distinct_units"][0], 128)
        self.assertGreater(metrics["test_accuracy"], 0.8)
        self.assertFalse(metrics["prior"]["predicts_single_class"])

    def test_output_init_builds_a_zero_output_kernel(self):
        config = classifier.ClassifierConfig(
            init="he_normal", output_init="zeros"
        )
        model = classifier.build_model(config)
        self.assertAllEqual(
            model.get_layer("output").kernel, tf.zeros((128, 10))
        )
        self.assertGreater(
            np.abs(model.get_layer("hidden_1").kernel.numpy()).max(), 0
        )

    @parameterized.named_parameters(
        ("constant_without_value", dict(init="constant"), "init_value=None"),
        ("value_without_constant", dict(init_value=0.1), "init_value=0.1"),
    )
    def test_init_value_validation(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            classifier.ClassifierConfig(**kwargs)


class PriorTest(tf.test.TestCase):
    def test_zero_init_run_names_class_one(self):
        metrics, _ = _run(init="zeros")
        prior = metrics["prior"]
        ds = testutil.mnist()
        self.assertTrue(prior["predicts_single_class"])
        self.assertTrue(prior["matches_prior"])
        self.assertEqual(prior["predicted_class"], 1)
        self.assertEqual(prior["prior_class"], 1)
        self.assertEqual(prior["prior_accuracy"], 0.1135)
        self.assertEqual(prior["prior_accuracy"], metrics["test_accuracy"])
        self.assertAllClose(
            prior["prior_loss"], prior_lib.label_entropy(ds.y_train)
        )
        self.assertLess(prior["prior_loss"], math.log(10))

    def test_single_class_accuracy_is_that_class_share(self):
        # A constant init with sigmoid also answers one class, not always
        # the prior's: its accuracy is that class's share of the test set.
        for kwargs in (dict(init="zeros"), CONSTANT_SIGMOID):
            metrics, _ = _run(**kwargs)
            prior = metrics["prior"]
            self.assertTrue(prior["predicts_single_class"], kwargs)
            self.assertEqual(
                metrics["test_accuracy"],
                prior["predicted_class_test_count"] / prior["test_size"],
            )

    def test_he_run_is_not_at_the_prior(self):
        metrics, _ = _run(init="he_normal")
        self.assertFalse(metrics["prior"]["predicts_single_class"])
        self.assertGreater(metrics["prior"]["predicted_class_count"], 5)


class FigureTest(tf.test.TestCase):
    def test_loss_curves_zeros_constant_he(self):
        records = [
            _run(init="zeros")[0],
            _run(**CONSTANT_SIGMOID)[0],
            _run(init="he_normal")[0],
        ]
        out = self.create_tempdir().full_path
        path = plots.loss_curves(records, os.path.join(out, "loss.png"))
        testutil.assert_png(self, path)
        path = plots.symmetry_curves(records, os.path.join(out, "sym.png"))
        testutil.assert_png(self, path)
        self.assertEqual(sorted(os.listdir(out)), ["loss.png", "sym.png"])

    def test_loss_axes_show_the_zero_run_flat(self):
        zeros, he = _run(init="zeros")[0], _run(init="he_normal")[0]
        uniform = math.log(10.0)
        for records in ([zeros], [zeros, he]):
            fig = plots.loss_curves_figure(records)
            (ax,) = fig.axes
            low, high = ax.get_ylim()
            self.assertEqual(low, 0.0)
            self.assertGreaterEqual(high, plots.LOSS_HEADROOM * uniform)
            self.assertGreaterEqual(
                high, max(max(r["train_loss"]) for r in records)
            )
            reference = [
                line
                for line in ax.get_lines()
                if line.get_label().startswith("ln 10")
            ]
            self.assertLen(reference, 1)
            self.assertAllClose(reference[0].get_ydata(), [uniform] * 2)
            # The zero run's wiggle (the minibatch label mix) fills under 1%
            # of the axis height: it reads as the flat line it is.
            spread = max(zeros["train_loss"]) - min(zeros["train_loss"])
            self.assertLess(spread / (high - low), 0.01)
            pyplot.close(fig)

    def test_compare_reads_records(self):
        out = self.create_tempdir().full_path
        paths = []
        for name, kwargs in (("zeros", dict(init="zeros")), ("he", {})):
            kwargs = kwargs or dict(init="he_normal")
            folder = os.path.join(out, name)
            os.makedirs(folder)
            with open(os.path.join(folder, "metrics.json"), "w") as f:
                json.dump(_run(**kwargs)[0], f)
            paths.append(folder)
        png = os.path.join(out, "cmp.png")
        proc = _compare(f"--runs={','.join(paths)}", f"--output={png}")
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        testutil.assert_png(self, png)

    def test_compare_missing_record_is_one_line_error(self):
        out = self.create_tempdir().full_path
        png = os.path.join(out, "cmp.png")
        proc = _compare(f"--runs={out}/missing", f"--output={png}")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("Cannot read the record", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)
        self.assertFalse(os.path.exists(png))


class BinaryTest(tf.test.TestCase):
    def test_zero_run_writes_symmetry_prior_and_figure(self):
        out = self.create_tempdir().full_path
        proc = testutil.run_module(
            "experiments.mnist", "--init=zeros", f"--output_dir={out}"
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
        self.assertEqual(
            metrics["symmetry"]["hidden_1"]["distinct_units"],
            [1] * (ITERATIONS + 1),
        )
        self.assertEqual(metrics["prior"]["predicted_class"], 1)
        self.assertIn("answers class 1 for every test image", proc.stderr)
        self.assertIn("1135 of 10000 test images are 1", proc.stderr)
        testutil.assert_png(self, os.path.join(out, "loss.png"))

    def test_constant_without_value_is_a_usage_error(self):
        proc = testutil.run_module("experiments.mnist", "--init=constant")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("--init_value", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)


if __name__ == "__main__":
    tf.test.main()
