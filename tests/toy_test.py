"""The article's figure network: equal weights give bit-identical units."""

import json
import os

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.study.kinds import toy
from tests import testutil


def _case(init, **kwargs):
    config = toy.ToyConfig(inits=(init,), steps=5, **kwargs)
    return toy.run(config)["runs"][init]


class ToyTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("zeros_sigmoid", "zeros", {}),
        ("constant_sigmoid", "constant", {}),
        ("negative_constant_sigmoid", "constant", dict(init_value=-0.7)),
        ("constant_tanh", "constant", dict(activation="tanh")),
        ("constant_other_example", "constant", dict(x=(3.0, 0.1, -2.0))),
    )
    def test_shared_value_keeps_units_identical_to_the_last_bit(
        self, init, kwargs
    ):
        case = _case(init, **kwargs)
        self.assertLen(case["steps"], 5)
        for step in case["steps"]:
            f = step["forward"]
            self.assertEqual(f["z1"], f["z2"])
            self.assertEqual(f["a1"], f["a2"])
            hidden = step["gradients"]["hidden"]
            self.assertAllEqual(hidden[0], hidden[1])
            output = step["gradients"]["output"]
            self.assertEqual(output[1], output[2])
            after = step["weights_after"]["hidden"]
            self.assertAllEqual(after[0], after[1])
            self.assertEqual(
                step["weights_after"]["output"][1],
                step["weights_after"]["output"][2],
            )
        self.assertTrue(case["units_identical_every_step"])
        # Not vacuous: the hidden weights do move (equally).
        last = case["steps"][-1]
        self.assertNotAllClose(
            last["weights_after"]["hidden"][0],
            case["weights_init"]["hidden"][0],
        )

    def test_zeros_first_step_reaches_only_the_output(self):
        # Output weights are 0, so no gradient flows back at step 1.
        first = _case("zeros")["steps"][0]
        self.assertAllEqual(first["gradients"]["hidden"], np.zeros((2, 4)))
        self.assertNotAllEqual(first["gradients"]["output"], np.zeros(3))

    @parameterized.named_parameters(
        ("random_normal", "random_normal"),
        ("he_normal", "he_normal"),
    )
    def test_random_init_makes_units_differ_at_every_step(self, init):
        case = _case(init)
        for step in case["steps"]:
            self.assertNotEqual(step["forward"]["z1"], step["forward"]["z2"])
            hidden = step["gradients"]["hidden"]
            self.assertNotAllClose(hidden[0], hidden[1])
            output = step["gradients"]["output"]
            self.assertNotEqual(output[1], output[2])
        self.assertFalse(case["units_identical_every_step"])

    def test_gradients_are_the_chain_rule(self):
        # Δw(2)_j = (y - t) g'(.) a_j with a0 = 1, for the sigmoid output.
        case = _case("random_normal")
        for step in case["steps"]:
            f = step["forward"]
            delta = (f["y"] - 1.0) * f["y"] * (1 - f["y"])
            self.assertAllClose(
                step["gradients"]["output"],
                [delta, delta * f["a1"], delta * f["a2"]],
                rtol=1e-5,
            )

    def test_same_seed_same_numbers(self):
        self.assertEqual(_case("random_normal"), _case("random_normal"))
        self.assertNotEqual(
            _case("random_normal"), _case("random_normal", seed=1)
        )

    def test_invalid_config(self):
        with self.assertRaisesRegex(ValueError, "bogus"):
            toy.ToyConfig(inits=("bogus",))
        with self.assertRaisesRegex(ValueError, "3 inputs"):
            toy.ToyConfig(x=(1.0, 2.0))

    def test_binary_prints_the_article_notation(self):
        out = self.create_tempdir().full_path
        proc = testutil.run_module(
            "experiments.toy", "--steps=2", f"--output_dir={out}"
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        self.assertIn("step 1 forward: z1 = 0, z2 = 0, a1 = 0.5", proc.stderr)
        self.assertIn("Δw(2)_0, Δw(2)_1, Δw(2)_2", proc.stderr)
        self.assertIn("zeros: hidden units 1 and 2 identical", proc.stderr)
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
        self.assertEqual(
            sorted(metrics["runs"]), ["constant", "random_normal", "zeros"]
        )
        self.assertTrue(
            metrics["runs"]["constant"]["units_identical_every_step"]
        )
        self.assertFalse(
            metrics["runs"]["random_normal"]["units_identical_every_step"]
        )


if __name__ == "__main__":
    tf.test.main()
