"""Tests for the per-layer signal statistics and the verdict thresholds."""

import math

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.diagnostics import callbacks
from keras_initstudy.diagnostics import signals
from keras_initstudy.study import models
from keras_initstudy.study import training


def _above(x):
    return float(np.nextafter(np.float64(x), np.inf))


def _below(x):
    return float(np.nextafter(np.float64(x), -np.inf))


def _stats(
    std_first=1.0, std_last=1.0, grad_first=1.0, grad_last=1.0, sat=None
):
    return {
        "std": [std_first, 0.5, std_last],
        "grad_activation_std": [grad_first, 0.5, grad_last],
        "saturated_fraction": [None, None, sat],
    }


class SaturationTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("tanh_at_threshold", "tanh", signals.TANH_SATURATION, 0.0),
        ("tanh_above", "tanh", _above(signals.TANH_SATURATION), 1.0),
        ("tanh_negative", "tanh", -_above(signals.TANH_SATURATION), 1.0),
        (
            "sigmoid_low_at_margin",
            "sigmoid",
            signals.SIGMOID_SATURATION_MARGIN,
            0.0,
        ),
        (
            "sigmoid_low_inside",
            "sigmoid",
            _below(signals.SIGMOID_SATURATION_MARGIN),
            1.0,
        ),
        (
            "sigmoid_high_inside",
            "sigmoid",
            _above(1.0 - signals.SIGMOID_SATURATION_MARGIN),
            1.0,
        ),
        ("sigmoid_middle", "sigmoid", 0.5, 0.0),
    )
    def test_threshold(self, activation, value, expected):
        values = np.full((4, 3), value, dtype=np.float64)
        self.assertEqual(
            signals.saturated_fraction(values, activation), expected
        )

    def test_fraction_counts_values(self):
        values = np.array([[0.0, 0.999], [-1.0, 0.3]])
        self.assertEqual(signals.saturated_fraction(values, "tanh"), 0.5)

    def test_undefined_without_tails(self):
        self.assertIsNone(signals.saturated_fraction(np.ones(3), "relu"))

    def test_dead_units_are_zero_on_every_example(self):
        values = np.array([[0.0, 0.0, 1.0], [0.0, 2.0, 0.0]])
        self.assertAllClose(signals.dead_fraction(values), 1 / 3)


class VerdictTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("forward_at_upper_bound", dict(std_last=signals.STABLE_FACTOR), "s"),
        (
            "forward_above_upper_bound",
            dict(std_last=_above(signals.STABLE_FACTOR)),
            "e",
        ),
        (
            "forward_at_lower_bound",
            dict(std_last=1 / signals.STABLE_FACTOR),
            "s",
        ),
        (
            "forward_below_lower_bound",
            dict(std_last=_below(1 / signals.STABLE_FACTOR)),
            "v",
        ),
        (
            "backward_at_lower_bound",
            dict(grad_first=1 / signals.STABLE_FACTOR),
            "s",
        ),
        (
            "backward_below_lower_bound",
            dict(grad_first=_below(1 / signals.STABLE_FACTOR)),
            "v",
        ),
        (
            "backward_above_upper_bound",
            dict(grad_first=_above(signals.STABLE_FACTOR)),
            "e",
        ),
        ("saturated_at_bound", dict(sat=signals.SATURATED_FRACTION), "sat"),
        (
            "saturated_below_bound",
            dict(sat=_below(signals.SATURATED_FRACTION)),
            "s",
        ),
        # Saturation wins over a std that would also say "exploding".
        (
            "saturated_first",
            dict(sat=1.0, std_last=10 * signals.STABLE_FACTOR),
            "sat",
        ),
        ("all_zero", dict(std_first=0.0, std_last=0.0), "v"),
        ("grows_from_zero", dict(std_first=0.0, std_last=1.0), "e"),
    )
    def test_boundaries(self, kwargs, expected):
        names = {
            "s": signals.STABLE,
            "e": signals.EXPLODING,
            "v": signals.VANISHING,
            "sat": signals.SATURATED,
        }
        self.assertEqual(signals.verdict(_stats(**kwargs)), names[expected])

    def test_missing_saturation_is_not_saturated(self):
        stats = _stats()
        del stats["saturated_fraction"]
        self.assertEqual(signals.verdict(stats), signals.STABLE)

    def test_std_ratio(self):
        self.assertEqual(signals.std_ratio(2.0, 1.0), 0.5)
        self.assertTrue(math.isnan(signals.std_ratio(0.0, 0.0)))
        self.assertEqual(signals.std_ratio(0.0, 1.0), math.inf)


class LayerSignalsTest(tf.test.TestCase):
    def setUp(self):
        super().setUp()
        rng = np.random.default_rng(0)
        self.x = rng.random((64, 5, 4), dtype=np.float32)
        self.y = rng.integers(0, 3, size=64)
        self.model = models.mlp(
            (8, 6),
            "tanh",
            "xavier_normal",
            bias_initializer="small_random",
            num_classes=3,
            input_shape=(5, 4),
            seed=3,
        )

    def _manual(self):
        """Forward pass and gradients written out by hand, for comparison."""
        h1_layer, h2_layer, out_layer = [
            self.model.get_layer(n) for n in ("hidden_1", "hidden_2", "output")
        ]
        x = tf.reshape(tf.constant(self.x), (64, 20))
        k1 = tf.convert_to_tensor(h1_layer.kernel)
        k2 = tf.convert_to_tensor(h2_layer.kernel)
        with tf.GradientTape() as tape:
            tape.watch([k1, k2])
            h1 = tf.tanh(x @ k1 + h1_layer.bias)
            tape.watch(h1)
            h2 = tf.tanh(h1 @ k2 + h2_layer.bias)
            tape.watch(h2)
            logits = h2 @ out_layer.kernel + out_layer.bias
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(
                    labels=tf.constant(self.y), logits=logits
                )
            )
        grads = tape.gradient(loss, [h1, h2, k1, k2])
        return [h1.numpy(), h2.numpy()], [g.numpy() for g in grads], loss

    def test_matches_a_manual_pass(self):
        stats = signals.layer_signals(self.model, self.x, self.y)
        (h1, h2), (g1, g2, gk1, gk2), loss = self._manual()
        self.assertEqual(stats["layers"], ["hidden_1", "hidden_2"])
        self.assertEqual(stats["activations"], ["tanh", "tanh"])
        self.assertAllClose(stats["mean"], [h1.mean(), h2.mean()], atol=1e-6)
        self.assertAllClose(stats["std"], [h1.std(), h2.std()], rtol=1e-5)
        self.assertAllClose(
            stats["grad_activation_std"], [g1.std(), g2.std()], rtol=1e-4
        )
        self.assertAllClose(
            stats["grad_kernel_std"], [gk1.std(), gk2.std()], rtol=1e-4
        )
        self.assertAllClose(stats["loss"], float(loss), rtol=1e-5)
        self.assertAllClose(
            stats["saturated_fraction"],
            [np.mean(np.abs(h) > signals.TANH_SATURATION) for h in (h1, h2)],
        )

    def test_histogram_counts_every_value(self):
        stats = signals.layer_signals(self.model, self.x, self.y, bins=7)
        for hist, units in zip(stats["histogram"], (8, 6), strict=True):
            self.assertLen(hist["counts"], 7)
            self.assertLen(hist["edges"], 8)
            self.assertEqual(sum(hist["counts"]), 64 * units)

    def test_watches_given_layers(self):
        layer = self.model.get_layer("hidden_2")
        stats = signals.layer_signals(self.model, self.x, self.y, [layer])
        self.assertEqual(stats["layers"], ["hidden_2"])

    def test_relu_dead_units_and_no_saturation(self):
        model = models.mlp(
            (4,), "relu", "he_normal", input_shape=(5, 4), seed=0
        )
        # Negative kernel on non-negative inputs: every unit is dead.
        layer = model.get_layer("hidden_1")
        layer.kernel.assign(-tf.abs(layer.kernel))
        stats = signals.layer_signals(model, self.x, self.y)
        self.assertEqual(stats["dead_fraction"], [1.0])
        self.assertEqual(stats["saturated_fraction"], [None])

    def test_needs_a_hidden_layer(self):
        model = models.mlp((), input_shape=(5, 4), seed=0)
        with self.assertRaisesRegex(ValueError, "no hidden layer"):
            signals.layer_signals(model, self.x, self.y)


class ActivationStatsTest(tf.test.TestCase):
    def test_records_on_schedule_and_matches_layer_signals(self):
        rng = np.random.default_rng(1)
        x = rng.random((200, 28, 28), dtype=np.float32)
        y = rng.integers(0, 10, size=200)
        model = models.mlp((16, 8), "tanh", "small_random", seed=0)
        stats = callbacks.ActivationStats(x[:50], y[:50], every=2)
        config = training.TrainConfig(iterations=5, batch_size=20)
        training.train(model, x, y, config, [stats])
        history = stats.history
        self.assertEqual(history["iteration"], [0, 2, 4, 5])
        self.assertEqual(history["layers"], ["hidden_1", "hidden_2"])
        final = signals.layer_signals(model, x[:50], y[:50])
        self.assertAllClose(history["std"][-1], final["std"])
        self.assertAllClose(
            history["grad_kernel_std"][-1], final["grad_kernel_std"]
        )
        self.assertEqual(history["verdict"][-1], signals.verdict(final))
        # The weights moved, so the statistics did too.
        self.assertNotAllClose(history["std"][0], history["std"][-1])

    def test_rejects_bad_every(self):
        with self.assertRaisesRegex(ValueError, "every=0"):
            callbacks.ActivationStats(np.zeros((1, 2)), np.zeros(1), every=0)


if __name__ == "__main__":
    tf.test.main()
