"""Tests for keras_initstudy.initializers: the values match the theory.

Statistical checks use fixed seeds and a tolerance of 5 standard errors of
the statistic, derived from the sample size n (iid draws):
- SE(mean) = sigma / sqrt(n);
- SE(std) = sigma * sqrt((kurtosis - 1) / (4 n)), by the delta method on
  Var(s^2) = (mu_4 - sigma^4) / n: kurtosis 3 for a normal (sigma /
  sqrt(2 n)), 9/5 for a uniform, and 3 is an upper bound for a normal
  truncated at 2 stddev (kurtosis ~2.36).
A correct initializer fails a 5-SE check with probability ~6e-7; a wrong fan
or gain moves the std by far more than 5 SE at n >= 1e5.
"""

import inspect
import math
import warnings

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy import initializers
from keras_initstudy.diagnostics import symmetry
from keras_initstudy.initializers import variance_scaling
from keras_initstudy.study.kinds import classifier
from tests import testutil

# Shapes and their (fan_in, fan_out), computed by hand; the rectangular one
# tells fan_in from fan_out.
SHAPES = {
    "square": ((1000, 1000), (1000, 1000)),
    "wide": ((500, 2000), (500, 2000)),
    "conv": ((3, 3, 64, 128), (576, 1152)),
}
# method -> (class, default gain, {registry variants: distribution})
METHODS = {
    "xavier": (initializers.XavierNormal, initializers.XavierUniform, 1.0),
    "he": (initializers.HeNormal, initializers.HeUniform, math.sqrt(2.0)),
    "lecun": (initializers.LecunNormal, initializers.LecunUniform, 1.0),
}
KURTOSIS = {"normal": 3.0, "truncated_normal": 3.0, "uniform": 1.8}
NUM_SE = 5.0


def _expected_std(gain, mode, fans):
    fan_in, fan_out = fans
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": 0.5 * sum(fans)}
    return gain / math.sqrt(fan[mode])


def _assert_moments(test, values, mean, std, distribution):
    n = values.size
    test.assertAllClose(
        values.mean(), mean, atol=NUM_SE * std / math.sqrt(n), rtol=0
    )
    se_std = std * math.sqrt((KURTOSIS[distribution] - 1.0) / (4.0 * n))
    test.assertAllClose(values.std(), std, atol=NUM_SE * se_std, rtol=0)


def _scaling_cases():
    for method in METHODS:
        for distribution in ("normal", "truncated_normal", "uniform"):
            for mode in variance_scaling.MODES:
                for shape_name in SHAPES:
                    yield (
                        f"{method}_{distribution}_{mode}_{shape_name}",
                        method,
                        distribution,
                        mode,
                        shape_name,
                    )


def _make(method, distribution, mode, seed=7, gain=None):
    normal_cls, uniform_cls, _ = METHODS[method]
    if distribution == "uniform":
        return uniform_cls(gain=gain, mode=mode, seed=seed)
    return normal_cls(
        gain=gain,
        mode=mode,
        truncated=distribution == "truncated_normal",
        seed=seed,
    )


class VarianceScalingStatisticsTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(*_scaling_cases())
    def test_moments_match_formula(self, method, distribution, mode, shape):
        shape, fans = SHAPES[shape]
        init = _make(method, distribution, mode)
        values = np.asarray(init(shape), dtype=np.float64)
        self.assertEqual(values.shape, shape)
        std = _expected_std(METHODS[method][2], mode, fans)
        _assert_moments(self, values, 0.0, std, distribution)
        if distribution == "uniform":
            limit = math.sqrt(3.0) * std
            self.assertLessEqual(values.max(), limit)
            self.assertGreaterEqual(values.min(), -limit)
            # P(max < l (1 - 40/n)) = (1 - 20/n)^n ~ e^-20.
            slack = limit * 40.0 / values.size
            self.assertGreater(values.max(), limit - slack)
            self.assertLess(values.min(), -limit + slack)
        if distribution == "truncated_normal":
            bound = 2.0 * std / variance_scaling.TRUNCATED_NORMAL_STDDEV
            self.assertLessEqual(np.abs(values).max(), bound * (1 + 1e-6))

    @parameterized.named_parameters(
        ("number", 3.0, 3.0),
        ("tanh", "tanh", 5.0 / 3.0),
        ("relu", "relu", math.sqrt(2.0)),
    )
    def test_gain_scales_std(self, gain, factor):
        shape, fans = SHAPES["square"]
        values = np.asarray(
            _make("lecun", "normal", "fan_in", gain=gain)(shape)
        )
        _assert_moments(
            self, values, 0.0, _expected_std(factor, "fan_in", fans), "normal"
        )

    def test_depthwise_fans(self):
        shape = (5, 5, 256, 200)
        init = initializers.HeNormal(depthwise=True, seed=3)
        values = np.asarray(init(shape))
        _assert_moments(self, values, 0.0, math.sqrt(2.0 / 25), "normal")

    @parameterized.named_parameters(
        ("normal", "normal"),
        ("truncated_normal", "truncated_normal"),
        ("uniform", "uniform"),
    )
    def test_general_variance_scaling(self, distribution):
        shape, fans = SHAPES["conv"]
        init = initializers.VarianceScaling(
            0.5, "fan_out", distribution, seed=2
        )
        values = np.asarray(init(shape))
        std = math.sqrt(0.5 / fans[1])
        _assert_moments(self, values, 0.0, std, distribution)

    def test_matches_keras_variance(self):
        # Keras's HeNormal is truncated: ours with truncated=True has the
        # same std, and the same bound (2 stddev before truncation).
        shape = SHAPES["conv"][0]
        ours = np.asarray(initializers.HeNormal(truncated=True, seed=1)(shape))
        theirs = np.asarray(keras.initializers.HeNormal(seed=1)(shape))
        se = ours.std() / math.sqrt(2 * ours.size)
        self.assertAllClose(ours.std(), theirs.std(), atol=2 * NUM_SE * se)
        self.assertAllClose(np.abs(ours).max(), np.abs(theirs).max(), rtol=1e-3)


class PlainDistributionTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("random_normal", initializers.RandomNormal, (0.3, 0.2), 0.3, 0.2),
        ("small_random", initializers.SmallRandom, (), 0.0, 0.01),
        ("large_random", initializers.LargeRandom, (), 0.0, 1.0),
    )
    def test_normal_moments(self, cls, args, mean, std):
        for shape, _ in SHAPES.values():
            values = np.asarray(cls(*args, seed=5)(shape), dtype=np.float64)
            _assert_moments(self, values, mean, std, "normal")

    def test_truncated_normal(self):
        init = initializers.TruncatedNormal(mean=1.0, stddev=0.5, seed=5)
        for shape, _ in SHAPES.values():
            values = np.asarray(init(shape), dtype=np.float64)
            _assert_moments(
                self,
                values,
                1.0,
                0.5 * variance_scaling.TRUNCATED_NORMAL_STDDEV,
                "truncated_normal",
            )
            self.assertAllInRange(values, 0.0, 2.0)

    def test_uniform(self):
        init = initializers.RandomUniform(-0.5, 1.5, seed=5)
        for shape, _ in SHAPES.values():
            values = np.asarray(init(shape), dtype=np.float64)
            _assert_moments(self, values, 0.5, 2 / math.sqrt(12), "uniform")
            self.assertAllInRange(values, -0.5, 1.5)
            slack = 2.0 * 40.0 / values.size
            self.assertLess(values.min(), -0.5 + slack)
            self.assertGreater(values.max(), 1.5 - slack)

    @parameterized.named_parameters(
        ("zeros", initializers.Zeros(), 0.0),
        ("ones", initializers.Ones(), 1.0),
        ("constant", initializers.Constant(-0.25), -0.25),
    )
    def test_constants(self, init, value):
        self.assertAllEqual(init((3, 4)), np.full((3, 4), value))


class KerasParityTest(tf.test.TestCase, parameterized.TestCase):
    """Where Keras has the initializer, ours subclasses it and draws alike."""

    @parameterized.named_parameters(
        ("zeros", "Zeros", {}),
        ("ones", "Ones", {}),
        ("constant", "Constant", {"value": 0.3}),
        ("random_normal", "RandomNormal", {"mean": 0.1, "stddev": 0.2}),
        ("truncated_normal", "TruncatedNormal", {"stddev": 0.2}),
        ("random_uniform", "RandomUniform", {"minval": -0.2, "maxval": 0.3}),
        ("orthogonal", "Orthogonal", {"gain": 1.5}),
        ("identity", "Identity", {"gain": 2.0}),
    )
    def test_subclasses_keras_and_draws_the_same(self, class_name, kwargs):
        cls = getattr(initializers, class_name)
        keras_cls = getattr(keras.initializers, class_name)
        self.assertTrue(issubclass(cls, keras_cls))
        if "seed" in inspect.signature(cls).parameters:
            kwargs["seed"] = 7
        shape = (6, 6) if class_name == "Identity" else (3, 3, 4, 6)
        self.assertAllEqual(cls(**kwargs)(shape), keras_cls(**kwargs)(shape))

    @parameterized.named_parameters(
        ("random_normal", initializers.RandomNormal, {}, "RandomNormal"),
        ("he_normal", initializers.HeNormal, {"truncated": True}, "HeNormal"),
        ("orthogonal", initializers.Orthogonal, {}, "Orthogonal"),
    )
    def test_unseeded_draws_its_seed_as_keras_does(self, cls, kwargs, theirs):
        # VarianceScaling draws its own seed (Keras's base class for that
        # is not public): from the same global state, the same one. Close,
        # not equal, for he_normal: its scale is sqrt(2) ** 2, not 2.
        shape = (16, 8)
        keras.utils.set_random_seed(3)
        ours = cls(**kwargs)(shape)
        keras.utils.set_random_seed(3)
        expected = getattr(keras.initializers, theirs)()(shape)
        self.assertAllClose(ours, expected, rtol=1e-6, atol=0)

    def test_constant_is_exact_in_float64(self):
        # Keras's Constant rounds the value through float32.
        values = initializers.Constant(0.3)((2, 2), "float64")
        self.assertAllEqual(values, np.full((2, 2), 0.3))

    def test_identity_config_keeps_its_gain(self):
        # Keras's Identity has no get_config: a saved model loses the gain.
        init = initializers.Identity(gain=2.0)
        self.assertAllEqual(
            type(init).from_config(init.get_config())((2, 2)), 2.0 * np.eye(2)
        )


class StructuredTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("square", (64, 64), 1.0),
        ("tall", (128, 32), 1.0),
        ("wide", (32, 128), 2.0),
        ("conv_tall", (3, 3, 8, 16), 1.5),
        ("conv_wide", (1, 1, 8, 64), 1.0),
    )
    def test_orthogonal(self, shape, gain):
        values = np.asarray(
            initializers.Orthogonal(gain=gain, seed=4)(shape), np.float64
        )
        self.assertEqual(values.shape, shape)
        w = values.reshape(-1, shape[-1])
        gram = w.T @ w if w.shape[0] >= w.shape[1] else w @ w.T
        self.assertAllClose(gram, gain**2 * np.eye(len(gram)), atol=1e-5)

    def test_orthogonal_is_not_fixed(self):
        # Two seeds give different matrices (the sign fix keeps it random).
        a = initializers.Orthogonal(seed=1)((16, 16))
        b = initializers.Orthogonal(seed=2)((16, 16))
        self.assertNotAllClose(a, b)

    @parameterized.named_parameters(
        ("square", (4, 4)), ("tall", (5, 3)), ("wide", (3, 5))
    )
    def test_identity(self, shape):
        self.assertAllEqual(
            initializers.Identity(gain=2.0)(shape), 2.0 * np.eye(*shape)
        )

    @parameterized.named_parameters(
        ("conv1d_more_out", keras.layers.Conv1D, (9, 3), 5),
        ("conv2d_square", keras.layers.Conv2D, (7, 7, 4), 4),
        ("conv3d_fewer_out", keras.layers.Conv3D, (4, 5, 4, 6), 3),
    )
    def test_dirac_copies_channels(self, layer_cls, input_shape, filters):
        layer = layer_cls(
            filters,
            3,
            padding="same",
            use_bias=False,
            kernel_initializer=initializers.Dirac(),
        )
        x = np.random.default_rng(0).normal(size=(2, *input_shape))
        y = np.asarray(layer(x.astype("float32")))
        copied = min(filters, input_shape[-1])
        self.assertAllClose(y[..., :copied], x[..., :copied], atol=1e-6)
        self.assertAllEqual(y[..., copied:], np.zeros_like(y[..., copied:]))

    def test_dirac_groups(self):
        kernel = np.asarray(initializers.Dirac(groups=2)((3, 2, 6)))
        centre = kernel[1]
        expected = np.zeros((2, 6))
        for g in range(2):
            for d in range(2):
                expected[d, 3 * g + d] = 1.0
        self.assertAllEqual(centre, expected)
        self.assertAllEqual(kernel[[0, 2]], np.zeros((2, 2, 6)))


class ZeroHadamardTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("square", (64, 64)),
        ("decreasing", (784, 128)),
        ("increasing_pow2", (100, 256)),
        ("increasing", (200, 300)),
        ("conv_increasing", (3, 3, 16, 48)),
    )
    def test_deterministic_zeros_and_plus_minus_c(self, shape):
        a = np.asarray(initializers.ZeroHadamard()(shape))
        b = np.asarray(initializers.get("zero_hadamard", seed=99)(shape))
        self.assertAllEqual(a, b)
        fan_in, fan_out = shape[-2:]
        c = (
            2.0 ** (-math.ceil(math.log2(fan_out)) / 2)
            if fan_out > fan_in
            else 1
        )
        # Every entry is 0 or +-c: one nonzero magnitude, and it is c.
        magnitudes = np.unique(np.abs(a))
        self.assertAllClose(magnitudes[magnitudes > 0], [c], rtol=1e-6, atol=0)
        centre = a[tuple(k // 2 for k in shape[:-2])]
        if fan_out <= fan_in:
            self.assertAllEqual(centre, np.eye(fan_in, fan_out))
        else:
            self.assertEqual(
                symmetry.distinct_units(centre), fan_out, "units differ"
            )
            self.assertEqual(np.count_nonzero(centre), fan_in * fan_out)
        self.assertEqual(np.count_nonzero(a), np.count_nonzero(centre))

    def test_power_of_two_increase_is_an_isometry(self):
        # c * H[:in, :out] has orthonormal rows when out = 2^m: x -> x K
        # keeps the norm, as the identity branches do.
        kernel = np.asarray(initializers.ZeroHadamard()((100, 256)), np.float64)
        self.assertAllClose(kernel @ kernel.T, np.eye(100), atol=1e-6)

    def test_mnist_mlp_trains_with_distinct_units(self):
        # 784 -> 1024 is dimension-increasing, so the hidden layer is
        # Hadamard-initialized (a partial identity would copy the blank top
        # rows of the images).
        record = classifier.run_classifier(
            classifier.ClassifierConfig(
                init="zero_hadamard",
                hidden_units=(1024,),
                # Per-iteration symmetry of 1024 units is slow and not the
                # claim.
                symmetry_every=100,
            ),
            dataset=testutil.mnist(),
        )
        self.assertEqual(record["distinct_units_at_init"], [1024])
        self.assertEqual(record["distinct_units"], [1024])
        # A network stuck at the prior scores 1135 / 10000.
        self.assertGreater(record["test_accuracy"], 0.6)


class LooksLinearTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("dense", (8, 6)),
        ("conv", (3, 3, 4, 8)),
    )
    def test_mirrored_sides(self, shape):
        w = np.asarray(initializers.LooksLinear(seed=0)(shape))
        half_in, half_out = shape[-2] // 2, shape[-1] // 2
        self.assertAllEqual(w[..., half_out:], -w[..., :half_out])
        self.assertAllEqual(w[..., half_in:, :], -w[..., :half_in, :])
        # The block A is orthogonal: its flattened columns orthonormal.
        a = w[..., :half_in, :half_out].reshape(-1, half_out)
        self.assertAllClose(a.T @ a, np.eye(half_out), atol=1e-5)

    def test_relu_chain_computes_the_linear_map(self):
        # first -> inner -> last, relu after each: at init the chain is
        # A_3^T A_2^T A_1^T x followed by one relu, gain sqrt(2).
        inits = [
            initializers.LooksLinear(mirror_inputs=False, seed=1),
            initializers.LooksLinear(seed=2),
            initializers.LooksLinear(mirror_outputs=False, gain=2**0.5, seed=3),
        ]
        model = keras.Sequential(
            [keras.Input((10,))]
            + [
                keras.layers.Dense(
                    units, "relu", use_bias=False, kernel_initializer=init
                )
                for units, init in zip((16, 16, 6), inits, strict=True)
            ]
        )
        kernels = [
            np.asarray(layer.kernel, np.float64) for layer in model.layers
        ]
        x = np.random.default_rng(0).standard_normal((32, 10))
        linear = x @ kernels[0][:, :8] @ kernels[1][:8, :8] @ kernels[2][:8]
        self.assertAllClose(
            model(x.astype("float32")), np.maximum(linear, 0), atol=1e-5
        )
        # Orthogonal blocks: the linear map keeps norms up to the gain
        # (here 10 -> 8 -> 8 -> 6, a contraction onto fewer dimensions).
        self.assertLessEqual(
            np.linalg.norm(linear, axis=1).max(),
            2**0.5 * np.linalg.norm(x, axis=1).max() + 1e-6,
        )

    def test_units_are_distinct_and_he_sized(self):
        w = np.asarray(initializers.LooksLinear(seed=0)((128, 128)))
        self.assertEqual(symmetry.distinct_units(w), 128)
        self.assertAllClose(w.std(), math.sqrt(2 / 128), rtol=1e-3)

    def test_seed_and_config(self):
        init = initializers.LooksLinear(mirror_inputs=False, gain=1.5, seed=4)
        again = initializers.LooksLinear.from_config(init.get_config())
        self.assertAllEqual(init((8, 4)), again((8, 4)))
        self.assertEqual(
            keras.initializers.serialize(init)["class_name"], "LooksLinear"
        )
        self.assertNotIn("looks_linear", initializers.names())

    @parameterized.named_parameters(
        ("odd_outputs", {}, (4, 5), r"outputs of 5\. Received: shape=\(4, 5\)"),
        ("odd_inputs", {}, (5, 4), r"inputs of 5\. Received"),
        ("rank1", {}, (4,), r"shape=\(4,\)"),
        ("gain", {"gain": 0.0}, (4, 4), r"gain"),
    )
    def test_bad_arguments(self, kwargs, shape, message):
        with self.assertRaisesRegex(ValueError, message):
            initializers.LooksLinear(**kwargs)(shape)


class SeedTest(tf.test.TestCase, parameterized.TestCase):
    RANDOM = [
        n
        for n, cls in sorted(initializers.REGISTRY.items())
        if "seed" in inspect.signature(cls).parameters
    ]

    @parameterized.named_parameters((n, n) for n in RANDOM)
    def test_seed_semantics(self, name):
        shape = (8, 16)
        seeded = initializers.get(name, seed=11)
        self.assertAllEqual(seeded(shape), seeded(shape))
        self.assertAllEqual(
            seeded(shape), initializers.get(name, seed=11)(shape)
        )
        self.assertNotAllClose(
            seeded(shape), initializers.get(name, seed=12)(shape)
        )
        unseeded = initializers.get(name)
        self.assertAllEqual(unseeded(shape), unseeded(shape))
        self.assertNotAllClose(unseeded(shape), initializers.get(name)(shape))

    def test_all_random_initializers_are_covered(self):
        self.assertLen(self.RANDOM, 13)


class SharedInstanceTest(tf.test.TestCase):
    def _model(self, first, second, units=(16, 16)):
        return keras.Sequential(
            [
                keras.Input((16,)),
                keras.layers.Dense(units[0], kernel_initializer=first),
                keras.layers.Dense(units[1], kernel_initializer=second),
            ]
        )

    def test_shared_instance_gives_identical_weights_and_warns_once(self):
        init = initializers.HeNormal(seed=3)
        model = self._model(init, init)
        first, second = (layer.kernel for layer in model.layers)
        self.assertAllEqual(first, second)
        with self.assertWarnsRegex(
            initializers.SharedInitializerWarning,
            f"{model.layers[0].name}/kernel, {model.layers[1].name}/kernel",
        ):
            findings = initializers.check_shared_initializers(model)
        self.assertEqual(findings[0]["identical"], True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            self.assertLen(initializers.check_shared_initializers(model), 1)

    def test_different_shapes_overlap(self):
        init = initializers.HeNormal()
        model = self._model(init, init, units=(16, 8))
        first, second = (np.asarray(layer.kernel) for layer in model.layers)
        # Same stateless stream and the same fan_in (16): the (16, 8)
        # kernel's values are the first half of the (16, 16) one's.
        self.assertAllEqual(second.ravel(), first.ravel()[:128])
        with self.assertWarnsRegex(
            initializers.SharedInitializerWarning, "overlapping"
        ):
            findings = initializers.check_shared_initializers(model)
        self.assertEqual(findings[0]["identical"], False)

    def test_own_instances_and_deterministic_ones_do_not_warn(self):
        zeros = initializers.Zeros()
        model = self._model(
            initializers.HeNormal(seed=1), initializers.HeNormal(seed=2)
        )
        model.layers[0].bias_initializer = zeros
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            self.assertEqual(initializers.check_shared_initializers(model), [])


K = initializers  # Short, for the table below.


class InvalidArgumentTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("negative_stddev", K.RandomNormal, {"stddev": -1}, None, "stddev=-1"),
        ("zero_stddev", K.TruncatedNormal, {"stddev": 0}, None, "stddev=0"),
        ("minval_ge_maxval", K.RandomUniform, {"minval": 1, "maxval": 1},
         None, "maxval=1"),
        ("unknown_mode", K.HeNormal, {"mode": "fan"}, None, "mode='fan'"),
        ("unknown_gain", K.XavierNormal, {"gain": "gelu"}, None,
         "nonlinearity='gelu'"),
        ("negative_gain", K.HeUniform, {"gain": -1}, None, "gain=-1"),
        ("bad_truncated", K.HeNormal, {"truncated": "yes"}, None,
         "truncated='yes'"),
        ("bad_distribution", K.VarianceScaling, {"distribution": "x"}, None,
         "distribution='x'"),
        ("bad_seed", K.HeNormal, {"seed": 1.5}, None, "seed=1.5"),
        ("bad_groups", K.Dirac, {"groups": 0}, None, "groups=0"),
        ("bad_constant", K.Constant, {"value": "a"}, None, "value='a'"),
        ("unknown_name", K.get, {"identifier": "glorot"}, None,
         "identifier='glorot'"),
        ("rank0_he", K.HeNormal, {}, (), r"shape=\(\)"),
        ("rank0_lecun_uniform", K.LecunUniform, {}, (), r"shape=\(\)"),
        ("rank0_orthogonal", K.Orthogonal, {}, (), r"shape=\(\)"),
        ("rank1_orthogonal", K.Orthogonal, {}, (3,), r"shape=\(3,\)"),
        ("rank0_zero_hadamard", K.ZeroHadamard, {}, (), r"shape=\(\)"),
        ("conv_identity", K.Identity, {}, (3, 3, 3), r"shape=\(3, 3, 3\)"),
        ("dense_dirac", K.Dirac, {}, (3, 3), r"shape=\(3, 3\)"),
    )  # fmt: skip
    def test_raises_value_error_ending_with_received(
        self, make, kwargs, shape, received
    ):
        with self.assertRaisesRegex(ValueError, f"Received: .*{received}$"):
            init = make(**kwargs)
            init(shape)


class SerializationTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters((n, n) for n in initializers.names())
    def test_round_trips(self, name):
        kwargs = {"value": 0.5} if name == "constant" else {}
        init = initializers.get(name, seed=3, **kwargs)
        shape = (6, 8) if name == "identity" else (3, 3, 4, 8)
        config = init.get_config()
        self.assertEqual(
            set(config), set(inspect.signature(type(init)).parameters)
        )
        expected = init(shape)
        for other in (
            type(init).from_config(config),
            keras.initializers.get(keras.initializers.serialize(init)),
            keras.initializers.get(
                {"class_name": f"keras_initstudy>{type(init).__name__}",
                 "config": config}
            ),
            initializers.get(keras.initializers.serialize(init)),
        ):  # fmt: skip
            self.assertIsInstance(other, type(init))
            self.assertEqual(other.get_config(), config)
            self.assertAllEqual(other(shape), expected)
        by_name = keras.initializers.get(
            f"keras_initstudy>{type(init).__name__}"
        )
        self.assertIsInstance(by_name, type(init))


if __name__ == "__main__":
    tf.test.main()
