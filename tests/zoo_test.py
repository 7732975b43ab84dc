"""Tests for the doctor's zoo: builders, the "zoo" study kind, confusion.

Every model builds, deterministically, with the declared input and 10
logits; a few train through the kind on real MNIST at the zoo's budget and
end as designed; `confusion` is checked on a hand-made example.
"""

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.study import runner
from keras_initstudy.study import zoo
from keras_initstudy.study.kinds import zoo as zoo_kind
from keras_initstudy.study.zoo import tokens
from tests import testutil

_INPUT_SHAPES = {
    zoo.MNIST: (None, 28, 28),
    zoo.SYNTHETIC: (None, tokens.SEQUENCE_LENGTH),
}


def _weights(model):
    return [w.numpy() for w in model.weights]


class RegistryTest(tf.test.TestCase, parameterized.TestCase):
    def test_covers_enough_models_of_both_intents(self):
        expected = [model.expected for model in zoo.ZOO.values()]
        self.assertGreaterEqual(len(expected), 30)
        self.assertContainsSubset(set(expected), {zoo.HEALTHY, zoo.BROKEN})
        # Roughly half broken: each intent at least 40 % of the zoo.
        for intent in (zoo.HEALTHY, zoo.BROKEN):
            self.assertGreaterEqual(expected.count(intent), 0.4 * len(expected))

    @parameterized.named_parameters((name, name) for name in zoo.ZOO)
    def test_builds_deterministically_with_declared_input(self, name):
        entry = zoo.ZOO[name]
        self.assertEqual(entry.name, name)
        self.assertIn(entry.inputs, _INPUT_SHAPES)
        model = entry.build(0)
        self.assertIsInstance(model, keras.Model)
        self.assertFalse(model.compiled)
        self.assertEqual(tuple(model.input_shape), _INPUT_SHAPES[entry.inputs])
        self.assertEqual(tuple(model.output_shape), (None, 10))
        again = entry.build(0)
        for first, second in zip(_weights(model), _weights(again), strict=True):
            self.assertAllEqual(first, second)

    @parameterized.named_parameters(
        (name, name)
        for name, model in zoo.ZOO.items()
        if model.expected == zoo.HEALTHY
    )
    def test_seed_changes_random_weights(self, name):
        entry = zoo.ZOO[name]
        pairs = zip(
            _weights(entry.build(0)), _weights(entry.build(1)), strict=True
        )
        self.assertTrue(any(not np.array_equal(a, b) for a, b in pairs))


class SyntheticTokensTest(tf.test.TestCase):
    def test_rule_is_learnable_and_deterministic(self):
        task = zoo.synthetic_tokens(3)
        self.assertAllEqual(task.x_train, zoo.synthetic_tokens(3).x_train)
        self.assertNotAllEqual(task.x_train, zoo.synthetic_tokens(4).x_train)
        self.assertEqual(task.x_test.dtype, np.int32)
        self.assertBetween(task.x_train.max(), 0, tokens.VOCABULARY - 1)
        # Uniform classes: the prior of 5000 test labels stays near 0.1.
        prior = np.bincount(task.y_test).max() / len(task.y_test)
        self.assertLess(prior, 0.13)
        # The rule: a token's class is the one whose sequences hold it
        # most often. Voting by it classifies the test set almost surely.
        counts = np.zeros((tokens.VOCABULARY, 10))
        np.add.at(counts, (task.x_train, task.y_train[:, None]), 1)
        votes = np.argmax(counts, axis=1)[task.x_test]
        predicted = np.array([np.bincount(v, minlength=10) for v in votes])
        accuracy = np.mean(predicted.argmax(axis=1) == task.y_test)
        self.assertGreater(accuracy, 0.95)


class ZooKindTest(tf.test.TestCase, parameterized.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mnist = testutil.mnist()

    @parameterized.named_parameters(
        ("he_mlp_trains", "mlp_relu_he", False),
        ("zero_mlp_stalls", "mlp_zeros", True),
        ("deep_glorot_relu_stalls", "deep_relu_glorot_30", True),
    )
    def test_outcome_as_designed(self, name, stalls):
        record = zoo_kind.run(zoo_kind.ZooConfig(model=name), self.mnist)
        self.assertEqual(record["stalls"], stalls)
        self.assertEqual(record["status"], "ok")
        self.assertLen(record["train_loss"], zoo.ITERATIONS)
        self.assertAllClose(record["prior_accuracy"], 0.1135)  # class 1
        if stalls:
            self.assertLess(record["test_accuracy"], 0.2)
        else:
            self.assertGreater(record["test_accuracy"], 0.8)

    def test_same_config_same_record(self):
        config = zoo_kind.ZooConfig(model="cnn_he", iterations=10, seed=3)
        self.assertEqual(
            zoo_kind.run(config, self.mnist), zoo_kind.run(config, self.mnist)
        )

    def test_synthetic_model_trains_on_its_tokens(self):
        config = zoo_kind.ZooConfig(model="embedding_tokens", iterations=5)
        record = zoo_kind.run(config, self.mnist)
        self.assertEqual(record["data_source"], "synthetic tokens, seed 0")
        task = zoo.synthetic_tokens(0)
        self.assertEqual(
            record["prior_accuracy"],
            np.bincount(task.y_test).max() / len(task.y_test),
        )

    def test_learning_rate_defaults_to_the_models(self):
        self.assertEqual(
            zoo_kind.ZooConfig(model="mlp_zeros").effective_learning_rate,
            zoo.LEARNING_RATE,
        )
        lstm = zoo_kind.ZooConfig(model="lstm_rows")
        self.assertEqual(
            lstm.effective_learning_rate, zoo.ZOO["lstm_rows"].learning_rate
        )
        self.assertEqual(
            zoo_kind.ZooConfig(model="lstm_rows", learning_rate=0.01)
            .train_config()
            .learning_rate,
            0.01,
        )

    def test_unknown_model_is_refused(self):
        with self.assertRaisesRegex(ValueError, "Received: model='nope'"):
            zoo_kind.ZooConfig(model="nope")

    def test_configs_span_models_and_seeds(self):
        configs = zoo_kind.configs(seeds=(0, 1), iterations=7)
        self.assertLen(configs, 2 * len(zoo.ZOO))
        self.assertEqual({c.iterations for c in configs}, {7})
        self.assertEqual([c.model for c in configs[::2]], list(zoo.ZOO))

    def test_runner_runs_and_caches_zoo_tasks(self):
        cache_dir = self.create_tempdir().full_path
        tasks = [
            runner.Task("zoo", zoo_kind.ZooConfig(model=name, iterations=10))
            for name in ("mlp_zeros", "mlp_relu_he")
        ]
        self.assertEqual(runner.Task.from_spec(tasks[0].spec()), tasks[0])
        records = runner.Study(cache_dir).records(tasks)
        seen = []
        again = runner.Study(cache_dir).records(tasks, progress=seen.append)
        self.assertEqual(again, records)
        self.assertEqual(seen[0].cached, 2)
        self.assertEqual(
            zoo.outcomes(records),
            {"mlp_zeros": [True], "mlp_relu_he": [records[1]["stalls"]]},
        )


class ConfusionTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("one_seed_stalls", [True], True),
        ("one_seed_trains", [False], False),
        ("both_seeds", [True, True], True),
        ("one_of_two", [True, False], False),
        ("two_of_three", [False, True, True], True),
        ("one_of_three", [False, True, False], False),
    )
    def test_model_stalls_on_two_seeds(self, flags, stalls):
        self.assertEqual(zoo.model_stalls(flags), stalls)

    def test_model_without_runs_is_refused(self):
        with self.assertRaisesRegex(ValueError, "No runs"):
            zoo.model_stalls([])

    def test_matrix_agreement_and_disagreements(self):
        outcomes = {
            "zeros": [True, True],
            "he": [False, False],
            "constant": [True, True],
            "huge": [True, False, True],
            "zero_output": [False, False],
        }
        verdicts = {
            "zeros": True,
            "he": False,
            "constant": False,
            "huge": True,
            "zero_output": True,
        }
        result = zoo.confusion(outcomes, verdicts)
        self.assertEqual(
            result["matrix"],
            {
                "true_positive": 2,
                "false_positive": 1,
                "false_negative": 1,
                "true_negative": 1,
            },
        )
        self.assertAllClose(result["agreement"], 3 / 5)
        self.assertEqual(
            result["disagreements"],
            [
                {"model": "constant", "stalls": True, "predicts_stall": False},
                {
                    "model": "zero_output",
                    "stalls": False,
                    "predicts_stall": True,
                },
            ],
        )

    def test_models_must_match(self):
        with self.assertRaisesRegex(ValueError, "same models"):
            zoo.confusion({"a": [True]}, {"b": True})

    def test_doctor_verdict_of_a_broken_and_a_healthy_model(self):
        self.assertTrue(zoo.doctor_verdict(zoo.ZOO["mlp_zeros"].build(0)))
        self.assertFalse(zoo.doctor_verdict(zoo.ZOO["mlp_relu_he"].build(0)))


if __name__ == "__main__":
    tf.test.main()
