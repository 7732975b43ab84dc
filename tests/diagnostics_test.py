"""Tests for the symmetry statistics and the "predicts the prior" check."""

import math

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.diagnostics import prior
from keras_initstudy.diagnostics import symmetry
from tests import testutil


def _naive_groups(kernel, bias, atol):
    """The greedy pass over every unit, without the isolation shortcut."""
    vectors = symmetry.unit_vectors(kernel, bias).astype(np.float64)
    representatives, groups = [], []
    for unit, v in enumerate(vectors):
        if representatives:
            distance = np.max(np.abs(vectors[representatives] - v), axis=1)
            match = int(np.argmin(distance))
            if distance[match] <= atol:
                groups[match].append(unit)
                continue
        representatives.append(unit)
        groups.append([unit])
    return groups


def _layer(kind, seed):
    rng = np.random.default_rng(seed)
    if kind == "random":
        return rng.normal(0, 0.05, (50, 40)), rng.normal(0, 0.05, 40)
    if kind == "identical":
        return np.full((50, 40), 0.05), np.zeros(40)
    if kind == "few_groups":
        # Units copy one of 4 prototypes, plus jitter below/above atol.
        prototypes = rng.normal(0, 0.05, (50, 4))
        kernel = prototypes[:, rng.integers(0, 4, 40)]
        kernel += rng.choice([0.0, 3e-7, 5e-6], size=(1, 40))
        return kernel, None
    if kind == "near_ties":
        # Units one atol apart in a chain: the greedy order matters.
        kernel = np.zeros((5, 30))
        kernel[0] = np.arange(30) * 0.9e-6
        return kernel, np.zeros(30)
    if kind == "bias_only":
        return np.zeros((50, 40)), rng.normal(0, 0.05, 40)
    raise ValueError(kind)


class SymmetryGroupsTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        (f"{kind}_{seed}", kind, seed)
        for kind in ("random", "identical", "few_groups", "near_ties")
        for seed in (0, 1)
    )
    def test_matches_the_plain_greedy_pass(self, kind, seed):
        kernel, bias = _layer(kind, seed)
        self.assertEqual(
            symmetry.symmetry_groups(kernel, bias),
            _naive_groups(kernel, bias, symmetry.SYMMETRY_ATOL),
        )

    def test_counts(self):
        self.assertEqual(symmetry.distinct_units(*_layer("identical", 0)), 1)
        self.assertEqual(symmetry.distinct_units(*_layer("random", 0)), 40)
        # Identical kernels, different biases: the units differ.
        self.assertEqual(symmetry.distinct_units(*_layer("bias_only", 0)), 40)

    def test_max_pairwise_distance(self):
        kernel = np.array([[0.0, 1.0, 0.5], [2.0, 2.0, -1.0]])
        # Units (columns) 1 and 2 differ most: max(|1 - 0.5|, |2 + 1|) = 3.
        self.assertAllClose(symmetry.max_pairwise_distance(kernel), 3.0)
        self.assertEqual(
            symmetry.max_pairwise_distance(np.ones((4, 6)), np.ones(6)),
            0.0,
        )

    @parameterized.named_parameters(
        (kind, kind)
        for kind in ("random", "identical", "few_groups", "near_ties")
    )
    def test_summary_matches_the_two_statistics(self, kind):
        kernel, bias = _layer(kind, 0)
        for k in (kernel, kernel[None].astype(np.float32)):
            self.assertEqual(
                symmetry.symmetry_summary(k, bias),
                (
                    len(_naive_groups(k, bias, symmetry.SYMMETRY_ATOL)),
                    symmetry.max_pairwise_distance(k, bias),
                ),
            )

    @parameterized.named_parameters(
        (kind, kind)
        for kind in (
            "random",
            "identical",
            "few_groups",
            "near_ties",
            "bias_only",
            "nan",
        )
    )
    def test_screened_summary_equals_the_summary(self, kind):
        kernel, bias = _layer("random" if kind == "nan" else kind, 0)
        kernel = kernel.astype(np.float32)
        if kind == "nan":
            kernel[3, 5] = np.nan  # A diverged run's last weights.
        bias = None if bias is None else bias.astype(np.float32)
        rows = kernel.reshape(-1, kernel.shape[-1])
        if bias is not None:
            rows = np.concatenate([rows, bias[None]])
        spread = rows.max(axis=1) - rows.min(axis=1)
        # Largest first, lowest index first among equals (as tf.math.top_k).
        order = sorted(range(len(spread)), key=lambda i: (-spread[i], i))
        top = np.array(order[: symmetry.SCREEN_ROWS])
        fetched = []

        def weights():
            fetched.append(True)
            return kernel, bias

        np.testing.assert_equal(  # NaN equals NaN here.
            symmetry.screened_symmetry_summary(
                (spread, top, rows[top]), weights
            ),
            symmetry.symmetry_summary(kernel, bias),
        )
        if kind != "nan":
            # The screen alone proves distinct units distinct, and a layer
            # with no spread in any coordinate one group of identical units.
            self.assertEqual(
                bool(fetched),
                kind not in ("random", "bias_only", "identical"),
            )


class PriorCheckTest(tf.test.TestCase):
    def test_label_entropy(self):
        self.assertAllClose(
            prior.label_entropy(np.repeat(np.arange(4), 5)), math.log(4)
        )
        self.assertEqual(prior.label_entropy([3, 3, 3]), 0.0)

    def test_single_class(self):
        check = prior.prior_check(
            y_train=[2, 2, 2, 0, 1], y_test=[2, 0, 1, 2], predictions=[2] * 4
        )
        self.assertTrue(check["predicts_single_class"])
        self.assertTrue(check["matches_prior"])
        self.assertEqual(check["predicted_class"], 2)
        self.assertEqual(check["prior_class"], 2)
        self.assertEqual(check["prior_accuracy"], 0.5)
        self.assertEqual(check["predicted_class_test_count"], 2)
        p = np.array([3, 1, 1]) / 5
        self.assertAllClose(check["prior_loss"], -np.sum(p * np.log(p)))

    def test_several_classes(self):
        check = prior.prior_check([0, 0, 1], [0, 1], [0, 1])
        self.assertFalse(check["predicts_single_class"])
        self.assertIsNone(check["predicted_class"])
        self.assertEqual(check["predicted_class_count"], 2)
        self.assertIsNone(check["predicted_class_test_count"])
        self.assertFalse(check["matches_prior"])

    def test_single_class_other_than_prior(self):
        check = prior.prior_check([0, 0, 1], [0, 1], [1, 1])
        self.assertTrue(check["predicts_single_class"])
        self.assertFalse(check["matches_prior"])

    def test_mnist_prior_is_digit_one(self):
        ds = testutil.mnist()
        check = prior.prior_check(
            ds.y_train, ds.y_test, np.ones_like(ds.y_test)
        )
        self.assertEqual(check["prior_class"], 1)
        self.assertEqual(
            check["prior_accuracy"],
            testutil.MNIST_TEST_COUNTS[1] / sum(testutil.MNIST_TEST_COUNTS),
        )
        # Close to, but below, ln 10: the ten digits are nearly balanced.
        self.assertBetween(
            check["prior_loss"], math.log(10) - 0.01, math.log(10)
        )

    def test_length_mismatch(self):
        with self.assertRaisesRegex(ValueError, "3 predictions for 2 labels"):
            prior.prior_check([0, 1], [0, 1], [0, 1, 1])


if __name__ == "__main__":
    tf.test.main()
