"""Tests for keras_initstudy.initializers.gain: torch's gain table and kernel
fans."""

import math

import keras
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.initializers import gain


class CalculateGainTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("linear", "linear", None, 1.0),
        ("conv2d", "conv2d", None, 1.0),
        ("sigmoid", "sigmoid", None, 1.0),
        ("tanh", "tanh", None, 5.0 / 3.0),
        ("relu", "relu", None, math.sqrt(2.0)),
        ("selu", "selu", None, 0.75),
        ("leaky_relu_default", "leaky_relu", None, math.sqrt(2 / 1.0001)),
        ("leaky_relu_0_2", "leaky_relu", 0.2, math.sqrt(2 / 1.04)),
        ("leaky_relu_1_is_linear", "leaky_relu", 1, 1.0),
    )
    def test_matches_torch_table(self, nonlinearity, param, expected):
        self.assertAllClose(
            gain.calculate_gain(nonlinearity, param), expected, rtol=1e-12
        )

    @parameterized.named_parameters(
        ("gelu", "gelu", None, "no closed-form gain"),
        ("swish", "swish", None, "no closed-form gain"),
        ("unknown", "relu6", None, "Unknown nonlinearity"),
        ("bad_slope", "leaky_relu", "0.1", "slope must be a number"),
    )
    def test_rejects(self, nonlinearity, param, message):
        with self.assertRaisesRegex(ValueError, f"{message}.*Received: .+$"):
            gain.calculate_gain(nonlinearity, param)


class ComputeFansTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("vector", (7,), False, (7, 7)),
        ("dense", (784, 128), False, (784, 128)),
        ("conv1d", (5, 3, 8), False, (15, 40)),
        ("conv2d", (3, 3, 16, 32), False, (144, 288)),
        ("conv3d", (2, 3, 4, 5, 6), False, (120, 144)),
        ("depthwise2d", (3, 3, 16, 2), True, (9, 18)),
        ("depthwise1d", (5, 16, 1), True, (5, 5)),
    )
    def test_fans(self, shape, depthwise, expected):
        self.assertEqual(gain.compute_fans(shape, depthwise), expected)

    def test_standard_fans_match_keras(self):
        # Keras's own VarianceScaling with scale 1 and fan_in has variance
        # 1 / fan_in; recover its fan_in from the stddev it uses.
        shape = (3, 3, 16, 32)
        values = keras.initializers.VarianceScaling(
            1.0, "fan_in", "uniform", seed=0
        )(shape)
        limit = float(tf.reduce_max(tf.abs(values)))
        fan_in = gain.compute_fans(shape)[0]
        # The max of 4608 uniform draws lies within 0.5% of the limit.
        self.assertAllClose(limit, math.sqrt(3.0 / fan_in), rtol=5e-3)

    @parameterized.named_parameters(
        ("rank0", (), False, r"Received: shape=\(\)$"),
        ("zero_dim", (3, 0), False, r"Received: shape=\(3, 0\)$"),
        ("float_dim", (3, 2.5), False, r"Received: shape=\(3, 2.5\)$"),
        ("depthwise_rank2", (3, 3), True, r"Received: shape=\(3, 3\)$"),
    )
    def test_rejects(self, shape, depthwise, message):
        with self.assertRaisesRegex(ValueError, message):
            gain.compute_fans(shape, depthwise)


if __name__ == "__main__":
    tf.test.main()
