"""Part 3 at initialization: the propagation kind's records."""

import json

import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy import theory
from keras_initstudy.study import runner
from keras_initstudy.study.kinds import propagation
from tests import testutil


class PropagationTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("tanh_mnist", "tanh", 1.5, "mnist"),
        ("tanh_gaussian", "tanh", 3.0, "gaussian"),
        ("relu_ordered", "relu", 1.5, "mnist"),
    )
    def test_record_holds_measured_beside_predicted(
        self, activation, sigma_w2, inputs
    ):
        config = propagation.PropagationConfig(
            activation=activation,
            sigma_w2=sigma_w2,
            depth=6,
            width=256,
            inputs=inputs,
            batch_size=64,
        )
        record = propagation.run(config, testutil.mnist())
        measured, predicted = record["measured"], record["predicted"]
        self.assertLen(measured["q"], 6)
        self.assertLen(predicted["q"], 6)
        self.assertLen(measured["grad_ratio"], 5)
        # Layer 1's q is an average over 256 units x 64 examples of
        # near-Gaussian squares: within 20 % of the theory is ~10 sd of the
        # per-unit spread of a single example, a loose but failing bound.
        self.assertAllClose(measured["q"][0], predicted["q"][0], rtol=0.2)
        point = theory.analyze(sigma_w2, 0.05, activation)
        self.assertEqual(record["phase"], point.phase)
        self.assertAllClose(record["chi1"], point.chi1)
        self.assertEqual(json.loads(json.dumps(record)), record)

    def test_relu_past_he_has_no_fixed_point_and_is_chaotic(self):
        config = propagation.PropagationConfig(
            activation="relu",
            sigma_w2=2.5,
            sigma_b2=0.0,
            depth=4,
            width=64,
            batch_size=16,
        )
        record = runner.execute(runner.Task("propagation", config))
        self.assertEqual(record["phase"], theory.CHAOTIC)
        self.assertIsNone(record["xi_c"])
        self.assertAllClose(record["chi1"], 1.25)
        # Without biases the predicted q grows by sigma_w2 / 2 per layer.
        q = record["predicted"]["q"]
        self.assertAllClose(q[-1] / q[-2], 1.25, rtol=0.01)

    def test_gaussian_inputs_are_seeded(self):
        base = dict(inputs="gaussian", depth=3, width=32, batch_size=8)
        dataset = testutil.mnist()
        a = propagation.run(propagation.PropagationConfig(**base), dataset)
        b = propagation.run(propagation.PropagationConfig(**base), dataset)
        c = propagation.run(
            propagation.PropagationConfig(**base, seed=1), dataset
        )
        self.assertEqual(a, b)
        self.assertNotEqual(a["measured"]["q"], c["measured"]["q"])

    def test_unknown_inputs(self):
        with self.assertRaisesRegex(ValueError, "`inputs` must be one of"):
            propagation.PropagationConfig(inputs="cifar")


if __name__ == "__main__":
    tf.test.main()
