"""Tests for keras_initstudy.theory: mean-field signal propagation.

Closed forms (ReLU, linear, erf's arcsine kernel), values from the papers
recomputed independently, every error case, and the theory against a real
Keras MLP at initialization.
"""

import dataclasses
import json
import math
import os
import subprocess
import sys
import warnings

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy import theory
from keras_initstudy.theory import activations
from tests import testutil

MeanFieldError = theory.MeanFieldError


def _erf_kernel(s12, s11, s22):
    """E[erf(u1) erf(u2)] for a Gaussian pair with covariance S (Williams
    1997: the arcsine kernel)."""
    return (
        2 / np.pi * np.arcsin(2 * s12 / np.sqrt((1 + 2 * s11) * (1 + 2 * s22)))
    )


class ImportTest(tf.test.TestCase):
    def test_theory_imports_numpy_only(self):
        # The parent package registers initializers with Keras on import;
        # a bare parent shows what the theory itself imports.
        package = os.path.join(testutil.REPO_ROOT, "keras_initstudy")
        code = (
            "import sys, types\n"
            "parent = types.ModuleType('keras_initstudy')\n"
            f"parent.__path__ = [{package!r}]\n"
            "sys.modules['keras_initstudy'] = parent\n"
            "import keras_initstudy.theory\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'scipy', "
            "'matplotlib', 'absl') if m in sys.modules))\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code],
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(result.returncode, 0, msg=result.stderr)
        self.assertEqual(result.stdout.strip(), "[]")
        self.assertEqual(result.stderr, "")


class ActivationsTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        (name, name) for name in activations.NAMES if name not in ("erf", "exp")
    )
    def test_matches_keras(self, name):
        x = np.linspace(-8.0, 8.0, 1601)
        expected = keras.ops.convert_to_numpy(keras.activations.get(name)(x))
        self.assertAllClose(
            activations.resolve(name)(x), expected, rtol=1e-6, atol=1e-7
        )

    def test_erf_and_exp_match_keras_ops(self):
        x = np.linspace(-8.0, 8.0, 1601)
        self.assertAllClose(
            activations.resolve("erf")(x),
            keras.ops.convert_to_numpy(keras.ops.erf(x)),
            atol=1e-7,
        )
        self.assertAllClose(activations.resolve("exp")(x), np.exp(x))

    def test_finite_differences_match_tanh_derivatives(self):
        x = np.linspace(-4.0, 4.0, 400)  # 0 is not on the grid.
        phi, slope, curvature = activations.values(
            activations.resolve("tanh"), x, 2
        )
        t = np.tanh(x)
        self.assertAllEqual(phi, t)
        # Steps h = eps**(1/3) |x| and eps**(1/4) |x|: round-off eps |phi| / h
        # (and 4 eps |phi| / h^2) plus truncation h^2 max|phi'''| / 6 (and
        # h^2 max|phi''''| / 12), with |tanh| <= |x|, |tanh'''| <= 2 and
        # |tanh''''| <= 4.1.
        eps = np.finfo(np.float64).eps
        slope_bound = eps ** (2 / 3) * (1 + x**2)
        self.assertAllLessEqual(np.abs(slope - (1 - t**2)) - slope_bound, 0)
        curvature_bound = np.sqrt(eps) * (4 * np.abs(t) / x**2 + 0.35 * x**2)
        self.assertAllLessEqual(
            np.abs(curvature + 2 * t * (1 - t**2)) - curvature_bound, 0
        )

    def test_relu_derivatives_are_exact_away_from_the_kink(self):
        x = np.array([-3.0, -1e-300, 1e-300, 1e-12, 0.7, 5.0])
        _, slope, curvature = activations.values(
            activations.resolve("relu"), x, 2
        )
        self.assertAllEqual(slope, [0.0, 0.0, 1.0, 1.0, 1.0, 1.0])
        self.assertAllEqual(curvature, np.zeros(6))

    def test_callable_returning_a_tensor(self):
        self.assertAllClose(
            theory.chi1(1.5, 0.05, keras.activations.tanh, q=[0.3, 2.0]),
            theory.chi1(1.5, 0.05, "tanh", q=[0.3, 2.0]),
            rtol=1e-12,
        )
        self.assertEqual(
            theory.analyze(1.0, 0.0, lambda x: np.maximum(x, 0)).activation,
            "<lambda>",
        )


class MeanFieldTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("no_bias", 0.0), ("bias_0.05", 0.05), ("bias_0.5", 0.5)
    )
    def test_relu_chi1_is_half_sigma_w2(self, sigma_b2):
        # phi'^2 is the step x > 0: with no node at 0 and symmetric weights
        # its expectation is exactly 1/2 whatever q (q* = 0 without bias).
        for sigma_w2 in (0.5, 1.5, 1.9):
            self.assertAllClose(
                theory.chi1(sigma_w2, sigma_b2, "relu"),
                sigma_w2 / 2,
                rtol=0,
                atol=1e-10,
            )
        self.assertAllClose(
            theory.chi1(3.0, sigma_b2, "relu", q=[1e-6, 1.0, 1e6]),
            [1.5] * 3,
            rtol=0,
            atol=1e-10,
        )

    @parameterized.named_parameters(
        ("no_bias", 0.0), ("bias_0.05", 0.05), ("bias_0.5", 0.5)
    )
    def test_relu_critical_sigma_w2_is_2(self, sigma_b2):
        self.assertAllClose(
            theory.critical_sigma_w2(sigma_b2, "relu"), 2.0, rtol=0, atol=1e-10
        )

    def test_relu_closed_forms(self):
        # f(q) = sigma_w2 q / 2 + sigma_b2: q* = sigma_b2 / (1 - sigma_w2 / 2),
        # slope sigma_w2 / 2, so xi_q = -1 / ln(sigma_w2 / 2).
        result = theory.analyze(1.5, 0.1, "relu")
        self.assertAllClose(result.q_star, 0.4, rtol=1e-12)
        self.assertAllClose(result.xi_q, -1 / math.log(0.75), rtol=1e-10)
        self.assertEqual(result.phase, theory.ORDERED)
        self.assertEqual((result.c_star, result.chi_c), (1.0, result.chi1))
        q1 = 1.5 * 2.0 + 0.1
        expected = [q1 * 0.75**k + 0.1 * (1 - 0.75**k) / 0.25 for k in range(8)]
        self.assertAllClose(
            theory.q_iterates(2.0, 8, 1.5, 0.1, "relu"), expected, rtol=1e-12
        )

    def test_tanh_without_bias_is_critical_at_1(self):
        # tanh'(0) = 1 and q* = 0 below the line: chi1 = sigma_w2 there.
        self.assertAllClose(
            theory.critical_sigma_w2(0.0, "tanh"), 1.0, rtol=0.01
        )

    def test_erf_without_bias_is_critical_at_pi_over_4(self):
        # erf'(0)^2 = 4 / pi, and q* = 0 up to the line. Beyond it chi1 - 1
        # grows only like (sigma_w2 - pi / 4)^2 (q* ~ sigma_w2 - pi / 4 and
        # the first order cancels), so chi1's round-off of ~1e-12 places the
        # root to ~sqrt(1e-12) = 1e-6.
        self.assertAllClose(
            theory.critical_sigma_w2(0.0, "erf"), math.pi / 4, rtol=1e-5
        )

    def test_tanh_values_of_schoenholz_et_al(self):
        # Schoenholz et al. 2017, Fig. 2 and 5 (tanh, sigma_b2 = 0.05): the
        # critical line at sigma_w2 ~ 1.76 and xi_c ~ 7 at sigma_w2 = 4.
        # Recomputed independently (trapezoid rule on 20001 points in
        # [-10, 10] and a 1601^2 grid in [-8, 8]^2, analytic tanh',
        # bisection; chi_c confirmed by 1e7 Monte Carlo samples,
        # 0.8672 +- 0.0003): sigma_w2 = 1.76095, and at sigma_w2 = 4
        # q* = 2.19549, c* = 0.16506, chi_c = 0.866528, xi_c = 6.9803.
        self.assertAllClose(
            theory.critical_sigma_w2(0.05, "tanh"), 1.76095, rtol=0.01
        )
        result = theory.analyze(4.0, 0.05, "tanh")
        self.assertEqual(result.phase, theory.CHAOTIC)
        self.assertAllClose(result.q_star, 2.19549, rtol=0.01)
        self.assertAllClose(result.c_star, 0.16506, rtol=0.01)
        self.assertAllClose(result.xi_c, 6.9803, rtol=0.01)

    def test_erf_closed_forms(self):
        sigma_w2, sigma_b2 = 1.3, 0.1
        for q in (0.25, 1.0, 2.0):
            self.assertAllClose(
                theory.variance_map(q, sigma_w2, sigma_b2, "erf"),
                sigma_w2 * _erf_kernel(q, q, q) + sigma_b2,
                rtol=0,
                atol=1e-6,
            )
            self.assertAllClose(
                theory.chi1(sigma_w2, sigma_b2, "erf", q=q),
                sigma_w2 * 4 / np.pi / np.sqrt(1 + 4 * q),
                rtol=0,
                atol=1e-6,
            )
            for c in (-0.5, 0.0, 0.5, 0.95):
                expected = (sigma_w2 * _erf_kernel(c * q, q, q) + sigma_b2) / (
                    sigma_w2 * _erf_kernel(q, q, q) + sigma_b2
                )
                self.assertAllClose(
                    theory.correlation_map(c, q, sigma_w2, sigma_b2, "erf"),
                    expected,
                    rtol=0,
                    atol=1e-6,
                )

    @parameterized.named_parameters(("tanh", "tanh"), ("erf", "erf"))
    def test_odd_activation_without_bias(self, activation):
        chaotic = theory.analyze(2.0, 0.0, activation)
        self.assertEqual(chaotic.phase, theory.CHAOTIC)
        self.assertAllClose(chaotic.c_star, 0.0, atol=1e-10)
        self.assertLess(chaotic.chi_c, 1.0)
        self.assertTrue(math.isfinite(chaotic.xi_c))
        ordered = theory.analyze(0.5, 0.0, activation)
        self.assertEqual(ordered.phase, theory.ORDERED)
        self.assertEqual(ordered.q_star, 0.0)
        self.assertEqual(ordered.c_star, 1.0)
        self.assertLess(ordered.chi_c, 1.0)

    def test_critical_line_has_infinite_xi_c_without_warnings(self):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            on_line = [
                theory.analyze(2.0, 0.0, "relu"),
                theory.analyze(
                    theory.critical_sigma_w2(0.05, "tanh"), 0.05, "tanh"
                ),
                theory.analyze(1.0, 0.0, "tanh"),
            ]
        for result in on_line:
            self.assertEqual(result.phase, theory.CRITICAL, msg=result)
            self.assertEqual(result.xi_c, math.inf, msg=result)
            self.assertEqual(result.c_star, 1.0, msg=result)

    def test_chaotic_fixed_point_of_the_correlation_map(self):
        result = theory.analyze(3.0, 0.2, "tanh")
        self.assertBetween(result.c_star, 0.0, 1.0)
        self.assertAllClose(
            theory.correlation_map(
                result.c_star, result.q_star, 3.0, 0.2, "tanh"
            ),
            result.c_star,
            atol=1e-10,
        )
        self.assertAllClose(
            theory.correlation_map(1.0, result.q_star, 3.0, 0.2, "tanh"), 1.0
        )
        self.assertLess(result.chi_c, 1.0)
        self.assertGreater(result.chi1, 1.0)
        self.assertAllClose(result.xi_c, -1 / math.log(result.chi_c))

    @parameterized.named_parameters(
        ("tanh_chaotic", "tanh", 1.5, 0.05),
        ("tanh_ordered", "tanh", 0.5, 0.0),
        ("erf", "erf", 1.0, 0.3),
        ("relu", "relu", 1.2, 0.1),
        ("sigmoid", "sigmoid", 4.0, 0.0),
    )
    def test_q_iterates_converge_to_q_star(
        self, activation, sigma_w2, sigma_b2
    ):
        q_star = theory.q_star(sigma_w2, sigma_b2, activation)
        iterates = theory.q_iterates(
            [0.01, 1.0, 4.0], 200, sigma_w2, sigma_b2, activation
        )
        self.assertEqual(iterates.shape, (3, 200))
        self.assertAllClose(
            iterates[:, 0], sigma_w2 * np.array([0.01, 1, 4]) + sigma_b2
        )
        self.assertAllClose(
            iterates[:, -1], [q_star] * 3, rtol=1e-9, atol=1e-12
        )

    def test_analyze_agrees_with_the_single_functions(self):
        result = theory.analyze(2.5, 0.1, "tanh")
        self.assertEqual(result, dataclasses.replace(result))
        self.assertEqual(result.q_star, theory.q_star(2.5, 0.1, "tanh"))
        self.assertEqual(result.chi1, theory.chi1(2.5, 0.1, "tanh"))
        self.assertEqual(result.xi_q, theory.xi_q(2.5, 0.1, "tanh"))
        self.assertEqual(result.c_star, theory.c_star(2.5, 0.1, "tanh"))
        self.assertEqual(result.chi_c, theory.chi_c(2.5, 0.1, "tanh"))
        self.assertEqual(result.xi_c, theory.xi_c(2.5, 0.1, "tanh"))
        with self.assertRaises(dataclasses.FrozenInstanceError):
            result.phase = theory.ORDERED


def _divergent_square(x):
    # E[phi(sqrt(q) z)^2] = E[exp(2 q z^2)] is infinite for q >= 1/4.
    return np.exp(x * x)


class SaturatedMomentsTest(tf.test.TestCase, parameterized.TestCase):
    """At large q tanh is a step in z: its moments live in a narrow bump."""

    @staticmethod
    def _trapezoid(g, q):
        # Independent of the module: a dense grid in x, where tanh bends.
        x = np.linspace(-60.0, 60.0, 1_200_001)
        density = np.exp(-x * x / (2 * q)) / np.sqrt(2 * np.pi * q)
        return np.trapezoid(g(x) * density, x)

    @parameterized.named_parameters(("q30", 30.0), ("q128", 128.0))
    def test_tanh_moments_match_a_dense_grid(self, q):
        self.assertAllClose(
            theory.chi1(1.0, 0.0, "tanh", q=q),
            self._trapezoid(lambda x: (1 - np.tanh(x) ** 2) ** 2, q),
            rtol=1e-6,
        )
        self.assertAllClose(
            theory.variance_map(q, 1.0, 0.0, "tanh"),
            self._trapezoid(lambda x: np.tanh(x) ** 2, q),
            rtol=1e-6,
        )

    @parameterized.named_parameters(("q1e8", 1e8), ("q1e12", 1e12))
    def test_tanh_slope_at_huge_q_has_its_asymptote(self, q):
        # E[sech^4(x)], x ~ N(0, q), -> (4 / 3) / sqrt(2 pi q): the bump's
        # area times the density at 0. Gauss-Hermite's nodes miss the bump
        # and give 0.
        self.assertAllClose(
            theory.chi1(1.0, 0.0, "tanh", q=q),
            4 / 3 / math.sqrt(2 * math.pi * q),
            rtol=1e-3,
        )

    def test_relu_stays_exact_at_any_q(self):
        q = np.array([0.5, 1e4, 1e12])
        self.assertAllClose(theory.chi1(2.0, 0.0, "relu", q=q), [1.0] * 3)
        self.assertAllClose(theory.variance_map(q, 2.0, 0.0, "relu"), q)


class DepthSigmaW2Test(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(("no_bias", 0.0), ("bias", 0.09))
    def test_shallow_nets_get_the_unit_fixed_point(self, sigma_b2):
        sigma_w2 = theory.depth_sigma_w2(2, sigma_b2, "tanh")
        # q* = 1: the variance map keeps unit variance.
        self.assertAllClose(
            theory.variance_map(1.0, sigma_w2, sigma_b2, "tanh"), 1.0, rtol=1e-9
        )
        self.assertAllClose(theory.q_star(sigma_w2, sigma_b2, "tanh"), 1.0)

    @parameterized.named_parameters(("d20", 20), ("d30", 30), ("d100", 100))
    def test_deep_nets_keep_the_gradient_within_the_gain(self, depth):
        sigma_w2 = theory.depth_sigma_w2(depth, 0.0, "tanh")
        growth = theory.chi1(sigma_w2, 0.0, "tanh") ** (depth / 2)
        self.assertAllClose(growth, math.sqrt(10), rtol=1e-6)
        self.assertLess(sigma_w2, theory.depth_sigma_w2(2, 0.0, "tanh"))
        self.assertGreaterEqual(sigma_w2, theory.critical_sigma_w2(0.0, "tanh"))

    def test_deeper_is_closer_to_the_edge(self):
        values = [
            theory.depth_sigma_w2(d, 0.0, "tanh") for d in (10, 20, 40, 80)
        ]
        self.assertEqual(values, sorted(values, reverse=True))

    @parameterized.named_parameters(
        ("depth", lambda: theory.depth_sigma_w2(0, 0.0, "tanh"), "depth"),
        ("bias", lambda: theory.depth_sigma_w2(3, 1.0, "tanh"), "sigma_b2 < 1"),
        ("gain", lambda: theory.depth_sigma_w2(3, 0.0, "tanh", 1.0), "> 1"),
    )
    def test_bad_arguments(self, call, message):
        with self.assertRaisesRegex(theory.MeanFieldError, message):
            call()


class ErrorsTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        (
            "sigma_w2_zero",
            lambda: theory.variance_map(1.0, 0, 0.0, "tanh"),
            r"> 0\. Received: sigma_w2=0\.0$",
        ),
        (
            "sigma_w2_negative",
            lambda: theory.analyze(-1.0, 0.0, "tanh"),
            r"Received: sigma_w2=-1\.0$",
        ),
        (
            "sigma_w2_nan",
            lambda: theory.q_star(math.nan, 0.0, "tanh"),
            r"finite\. Received: sigma_w2=nan$",
        ),
        (
            "sigma_w2_string",
            lambda: theory.chi1("2", 0.0, "tanh"),
            r"real number\. Received: sigma_w2='2'$",
        ),
        (
            "sigma_b2_negative",
            lambda: theory.q_star(1.0, -0.1, "tanh"),
            r">= 0\. Received: sigma_b2=-0\.1$",
        ),
        (
            "critical_sigma_b2_negative",
            lambda: theory.critical_sigma_w2(-0.1, "tanh"),
            r"Received: sigma_b2=-0\.1$",
        ),
        (
            "depth_zero",
            lambda: theory.q_iterates(1.0, 0, 1.0, 0.0, "tanh"),
            r">= 1\. Received: depth=0$",
        ),
        (
            "depth_float",
            lambda: theory.q_iterates(1.0, 2.5, 1.0, 0.0, "tanh"),
            r"integer\. Received: depth=2\.5$",
        ),
        (
            "q_zero",
            lambda: theory.variance_map(0.0, 1.0, 0.0, "tanh"),
            r"Received: q=0\.0$",
        ),
        (
            "q_negative_entry",
            lambda: theory.variance_map([1.0, -2.0], 1.0, 0.0, "tanh"),
            r"Received: q=-2\.0$",
        ),
        (
            "q_in_zero",
            lambda: theory.q_iterates(0.0, 3, 1.0, 0.0, "tanh"),
            r"Received: q_in=0\.0$",
        ),
        (
            "chi1_q_negative",
            lambda: theory.chi1(1.0, 0.0, "tanh", q=-1),
            r"Received: q=-1\.0$",
        ),
        (
            "correlation_q_zero",
            lambda: theory.correlation_map(0.5, 0.0, 1.0, 0.0, "tanh"),
            r"Received: q=0\.0$",
        ),
        (
            "c_above_1",
            lambda: theory.correlation_map(1.5, 1.0, 1.0, 0.0, "tanh"),
            r"\[-1, 1\]\. Received: c=1\.5$",
        ),
        (
            "unknown_name",
            lambda: theory.analyze(1.0, 0.0, "tanhh"),
            r"Unknown activation.*Received: activation='tanhh'$",
        ),
        (
            "not_callable",
            lambda: theory.analyze(1.0, 0.0, 3),
            r"Received: activation=3$",
        ),
        (
            "exp_at_large_q",
            lambda: theory.variance_map(200.0, 1.0, 0.0, "exp"),
            r"not finite.*Received: q=200$",
        ),
        (
            "exp_without_fixed_point",
            lambda: theory.q_star(1.0, 0.0, "exp"),
            r"not finite.*Received: q=\d+",
        ),
        (
            "divergent_moment",
            lambda: theory.variance_map(0.3, 1.0, 0.0, _divergent_square),
            r"diverges.*Received: q=0\.3$",
        ),
        (
            "nan_activation",
            lambda: theory.analyze(1.0, 0.0, lambda x: np.full_like(x, np.nan)),
            r"not finite.*Received: q=",
        ),
        (
            "wrong_shape",
            lambda: theory.analyze(1.0, 0.0, lambda x: np.zeros(3)),
            r"shape.*Received: shape=\(3,\)$",
        ),
        (
            "relu_past_the_line",
            lambda: theory.analyze(3.0, 0.05, "relu"),
            r"no finite fixed point.*Received: activation='relu', "
            r"sigma_w2=3\.0, sigma_b2=0\.05$",
        ),
        (
            "no_critical_line",
            lambda: theory.critical_sigma_w2(0.0, lambda x: np.ones_like(x)),
            r"does not cross 1.*Received: activation='<lambda>', "
            r"sigma_b2=0\.0$",
        ),
    )
    def test_raises(self, call, message):
        with self.assertRaisesRegex(MeanFieldError, message):
            call()

    def test_is_a_value_error(self):
        self.assertTrue(issubclass(MeanFieldError, ValueError))


# Theory against measurement: a Keras MLP of width N = 256 and depth 30,
# three seeds, on Gaussian inputs and on MNIST digits.
#
# Tolerances, derived before the first run. Take one example. Given layer
# l - 1, the N pre-activations h_i of layer l are i.i.d. N(0, K^l), where
# K^l = sigma_w2 mean_j phi(h_j^{l-1})^2 + sigma_b2 is the layer's own
# variance (the theory's q^l as N -> inf; K^1 = sigma_w2 q_in + sigma_b2
# exactly). Then:
# - the measured q^l = mean_i h_i^2 = K^l chi2_N / N: relative variance 2/N;
# - K^{l+1} averages N i.i.d. phi^2, relative variance rho^2 kappa / N with
#   kappa = E[phi^4] / E[phi^2]^2 - 1 (5 for ReLU) and rho = the weights'
#   share sigma_w2 E[phi^2] / q^{l+1}, and carries K^l's error through the
#   map with gain s = d ln f / d ln q. Fluctuations compound over layers:
#   the relative variance V^l of K^l follows
#       1 + V^{l+1} = (1 + s^2 V^l) (1 + rho^2 kappa / N),   V^1 = 0,
#   exact for ReLU without bias (a product of independent mean-1 factors),
#   to first order otherwise. The measured q^l: 1 + var = (1 + V^l)(1 + 2/N).
# - the gradient ratio is sigma_w2 mean_i phi'(h_i)^2 g_i^2, g_i ~ N(0, 1)
#   (the next kernel applied to the gradient above): relative variance
#   kappa' / N with kappa' = 3 E[phi'^4] / E[phi'^2]^2 - 1, and chi1 drifts
#   with K^l: 1 + var = (1 + t^2 V^l)(1 + kappa' / N), t = d ln chi1 / d ln q.
# The examples of a batch share the weights, so they are correlated (fully
# in the ordered phase, where c* = 1): the variance of a batch mean is at
# most that of one example, which is what these bounds use. Only layer 1 is
# known exactly: the units' columns h_i are i.i.d. N(0, K) with
# K_ab = sigma_w2 x_a . x_b / fan_in + sigma_b2, so the measured q^1 has
# relative variance 2 sum_ab K_ab^2 / (N tr(K)^2). The mean over
# the seeds has var / seeds; each layer's must lie within _Z standard
# deviations of the prediction: two-sided p = 6e-5 per comparison, and the
# ~950 comparisons below are strongly correlated.
_WIDTH = 256
_DEPTH = 30
_SEEDS = (0, 1, 2)
_BATCH = 64
_SIGMA_B2 = 0.05
_Z = 4.0


def _analytic(activation, x):
    """phi and phi' in closed form, apart from the library's differences."""
    if activation == "tanh":
        t = np.tanh(x)
        return t, 1 - t**2
    return np.maximum(x, 0.0), (x > 0).astype(np.float64)


def _log_slope(fn, q, step=1e-4):
    return (np.log(fn(q * np.exp(step))) - np.log(fn(q * np.exp(-step)))) / (
        2 * step
    )


def _relative_sds(activation, q, sigma_w2, sigma_b2, x):
    """One seed's relative sd of q^l and of grad_ratio^l (derivation above)."""
    z, w = np.polynomial.hermite_e.hermegauss(200)
    w = w / w.sum()
    phi, slope = _analytic(activation, np.sqrt(q)[:, None] * z)
    m2, m4 = phi**2 @ w, phi**4 @ w
    d2, d4 = slope**2 @ w, slope**4 @ w
    kappa = m4 / m2**2 - 1
    kappa_grad = 3 * d4 / d2**2 - 1
    rho = sigma_w2 * m2 / (sigma_w2 * m2 + sigma_b2)
    s = _log_slope(
        lambda v: theory.variance_map(v, sigma_w2, sigma_b2, activation), q
    )
    t = _log_slope(
        lambda v: theory.chi1(sigma_w2, sigma_b2, activation, q=v), q
    )
    var_q, var_ratio, v = [], [], 0.0
    for layer in range(len(q)):
        var_q.append((1 + v) * (1 + 2 / _WIDTH) - 1)
        var_ratio.append(
            (1 + t[layer] ** 2 * v) * (1 + kappa_grad[layer] / _WIDTH) - 1
        )
        v = (1 + s[layer] ** 2 * v) * (
            1 + rho[layer] ** 2 * kappa[layer] / _WIDTH
        ) - 1
    x = np.reshape(x, (len(x), -1)).astype(np.float64)
    kernel = sigma_w2 * (x @ x.T) / x.shape[1] + sigma_b2
    var_q[0] = 2 * np.sum(kernel**2) / (_WIDTH * np.trace(kernel) ** 2)
    return np.sqrt(var_q), np.sqrt(var_ratio[:-1])


class MeasureTest(tf.test.TestCase, parameterized.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rng = np.random.default_rng(2017)
        cls.inputs = {
            "gaussian": rng.standard_normal((_BATCH, 784)),
            "mnist": testutil.mnist().x_test[:_BATCH],
        }

    # Critical sigma_w2 at sigma_b2 = 0.05: 1.76 for tanh, 2 for ReLU.
    @parameterized.named_parameters(
        ("tanh_1.0", "tanh", 1.0),
        ("tanh_1.4", "tanh", 1.4),
        ("tanh_2.2", "tanh", 2.2),
        ("tanh_3.0", "tanh", 3.0),
        ("relu_1.4", "relu", 1.4),
        ("relu_1.7", "relu", 1.7),
        ("relu_2.3", "relu", 2.3),
        ("relu_2.6", "relu", 2.6),
    )
    def test_theory_matches_measurement(self, activation, sigma_w2):
        measured = [
            theory.mlp_signals(
                self.inputs,
                _DEPTH,
                _WIDTH,
                sigma_w2,
                _SIGMA_B2,
                activation,
                seed,
            )
            for seed in _SEEDS
        ]
        critical = theory.critical_sigma_w2(_SIGMA_B2, activation)
        for name, x in self.inputs.items():
            predicted = theory.predict_signal(
                x, _DEPTH, sigma_w2, _SIGMA_B2, activation
            )
            sds = _relative_sds(
                activation, np.array(predicted["q"]), sigma_w2, _SIGMA_B2, x
            )
            for key, sd in zip(("q", "grad_ratio"), sds, strict=True):
                mean = np.mean([m[name][key] for m in measured], axis=0)
                error = mean / np.array(predicted[key]) - 1
                bound = _Z * sd / math.sqrt(len(_SEEDS))
                outside = np.flatnonzero(np.abs(error) > bound)
                self.assertEmpty(
                    outside,
                    msg=f"{name} {key}: layers {outside + 1} off by "
                    f"{error[outside]}, bounds {bound[outside]}",
                )
            # The phase shows in the measurement itself: deep gradients
            # shrink below the critical line and grow above it.
            deep = np.mean([m[name]["grad_ratio"][-15:] for m in measured])
            self.assertEqual(deep > 1, sigma_w2 > critical, msg=name)

    def test_prediction_closed_forms(self):
        x = np.random.default_rng(0).uniform(0, 2, size=(5, 7))
        q_in = np.mean(x**2, axis=1)
        linear = theory.predict_signal(x, 4, 1.5, 0.1, "linear")
        expected, q = [], 1.5 * q_in + 0.1
        for _ in range(4):
            expected.append(q.mean())
            q = 1.5 * q + 0.1
        self.assertAllClose(linear["q"], expected, rtol=1e-12)
        self.assertAllClose(linear["grad_ratio"], [1.5] * 3, rtol=1e-12)
        relu = theory.predict_signal(x, 6, 2.4, 0.3, "relu")
        self.assertAllClose(relu["grad_ratio"], [1.2] * 5, rtol=1e-12)

    def test_signal_is_deterministic_and_json_ready(self):
        x = self.inputs["gaussian"][:8]
        first = theory.mlp_signal(x, 4, 16, 1.5, 0.1, "tanh", seed=3)
        self.assertEqual(
            first, theory.mlp_signal(x, 4, 16, 1.5, 0.1, "tanh", 3)
        )
        self.assertEqual(json.loads(json.dumps(first)), first)
        self.assertLen(first["q"], 4)
        self.assertLen(first["grad_ratio"], 3)
        other = theory.mlp_signal(x, 4, 16, 1.5, 0.1, "tanh", seed=4)
        self.assertNotAllClose(first["q"], other["q"])
        together = theory.mlp_signals(
            {"a": x, "b": self.inputs["mnist"][:8]}, 4, 16, 1.5, 0.1, "tanh", 3
        )
        self.assertAllClose(together["a"]["q"], first["q"], rtol=1e-5)
        self.assertAllClose(
            together["a"]["grad_ratio"], first["grad_ratio"], rtol=1e-5
        )

    def test_signal_rejects_bad_arguments(self):
        x = self.inputs["gaussian"][:4]
        with self.assertRaisesRegex(MeanFieldError, r"Received: depth=1$"):
            theory.mlp_signal(x, 1, 8, 1.0, 0.0, "tanh", seed=0)
        with self.assertRaisesRegex(
            MeanFieldError, r"Received: x.shape=\(4,\)$"
        ):
            theory.mlp_signal(np.ones(4), 3, 8, 1.0, 0.0, "tanh", seed=0)
        with self.assertRaisesRegex(MeanFieldError, r"Received: seed=None$"):
            theory.mlp_signal(x, 3, 8, 1.0, 0.0, "tanh", seed=None)


if __name__ == "__main__":
    tf.test.main()
