"""Tests for the training loop, the model factory and run records."""

import json
import math
import os
import warnings

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.diagnostics import signals
from keras_initstudy.study import models
from keras_initstudy.study import records
from keras_initstudy.study import training


def _toy_data(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.random((n, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, size=n).astype(np.int64)
    return x, y


class _Recorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.events = []

    def on_train_begin(self, logs=None):
        self.events.append("begin")
        self.eval_logs = [(0, logs["eval_loss"])]

    def on_train_batch_end(self, batch, logs=None):
        self.events.append((batch, logs["loss"]))
        if "eval_loss" in logs:
            self.eval_logs.append((batch + 1, logs["eval_loss"]))

    def on_train_end(self, logs=None):
        self.events.append("end")


class MinibatchTest(tf.test.TestCase):
    def test_full_batches_cover_each_pass_once(self):
        batches = list(training.minibatch_indices(10, 3, 6, seed=1))
        self.assertLen(batches, 6)
        for b in batches:
            self.assertLen(b, 3)
        first_pass = np.concatenate(batches[:3])
        self.assertLen(set(first_pass.tolist()), 9)
        self.assertNotAllEqual(np.concatenate(batches[3:]), first_pass)

    def test_seeded(self):
        a = np.concatenate(list(training.minibatch_indices(50, 5, 4, seed=7)))
        b = np.concatenate(list(training.minibatch_indices(50, 5, 4, seed=7)))
        c = np.concatenate(list(training.minibatch_indices(50, 5, 4, seed=8)))
        self.assertAllEqual(a, b)
        self.assertNotAllEqual(a, c)

    def test_batch_larger_than_data(self):
        with self.assertRaisesRegex(ValueError, "batch_size=11"):
            list(training.minibatch_indices(10, 11, 1, seed=0))


class TrainTest(tf.test.TestCase, parameterized.TestCase):
    def test_records_and_callbacks(self):
        x, y = _toy_data()
        model = models.mlp((8,), seed=0)
        recorder = _Recorder()
        config = training.TrainConfig(iterations=7, batch_size=20, eval_every=3)
        result = training.train(model, x, y, config, [recorder])
        self.assertLen(result["train_loss"], 7)
        self.assertEqual(result["eval_iterations"], [0, 3, 6, 7])
        self.assertEqual(result["status"], "ok")
        self.assertEqual(recorder.events[0], "begin")
        self.assertEqual(recorder.events[-1], "end")
        self.assertEqual(
            [e[1] for e in recorder.events[1:-1]], result["train_loss"]
        )
        # Callbacks see each eval loss at the iteration the record has it.
        self.assertEqual(
            recorder.eval_logs,
            list(
                zip(result["eval_iterations"], result["eval_loss"], strict=True)
            ),
        )

    def test_divergence_is_recorded_and_stops(self):
        x, y = _toy_data()
        model = models.mlp((64,), kernel_initializer="large_random", seed=0)
        config = training.TrainConfig(
            iterations=200, batch_size=20, learning_rate=1e12
        )
        result = training.train(model, x, y, config)
        self.assertEqual(result["status"], "diverged")
        self.assertLess(result["iterations_run"], 200)
        self.assertFalse(
            result["train_loss"][-1] <= config.divergence_threshold
        )

    @parameterized.named_parameters(
        ("optimizer", dict(optimizer="rmsprop"), "optimizer='rmsprop'"),
        ("iterations", dict(iterations=0), "iterations=0"),
        ("learning_rate", dict(learning_rate=-1.0), "learning_rate=-1.0"),
    )
    def test_invalid_config(self, kwargs, message):
        with self.assertRaisesRegex(ValueError, message):
            training.TrainConfig(**kwargs)

    def test_evaluate(self):
        x, y = _toy_data(50)
        model = models.mlp((), kernel_initializer="zeros")
        loss, accuracy = training.evaluate(model, x, y, batch_size=16)
        self.assertAllClose(loss, math.log(10.0))
        # All logits tie, argmax answers class 0.
        self.assertAllClose(accuracy, np.mean(y == 0))


class ModelsTest(tf.test.TestCase):
    def test_layers_and_seeding(self):
        a = models.mlp((16, 8), kernel_initializer="he_normal", seed=1)
        b = models.mlp((16, 8), kernel_initializer="he_normal", seed=1)
        self.assertEqual(
            [layer.name for layer in signals.hidden_layers(a)],
            ["hidden_1", "hidden_2"],
        )
        self.assertEqual(a.get_layer("output").units, 10)
        for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
            self.assertAllEqual(wa, wb)
        # Layers never share draws: each gets its own seed.
        k1 = a.get_layer("hidden_2").kernel.numpy()
        k2 = a.get_layer("output").kernel.numpy()
        self.assertNotAllClose(k1[:8, :8], k2[:8, :8])

    def test_an_instance_is_copied_per_layer(self):
        # Same-shaped hidden layers from one instance would be identical.
        for init in (
            keras.initializers.HeNormal(),
            keras.initializers.HeNormal(seed=4),
        ):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                model = models.mlp(
                    (16, 16), kernel_initializer=init, input_shape=(16,)
                )
            self.assertNotAllClose(
                model.get_layer("hidden_1").kernel.numpy(),
                model.get_layer("hidden_2").kernel.numpy(),
            )
        seeded = keras.initializers.HeNormal(seed=4)
        a = models.mlp((8,), kernel_initializer=seeded)
        b = models.mlp((8,), kernel_initializer=seeded)
        for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
            self.assertAllEqual(wa, wb)

    def test_invalid_arguments(self):
        with self.assertRaisesRegex(ValueError, "hidden_units"):
            models.mlp((0,))
        with self.assertRaisesRegex(ValueError, "dropout=1.0"):
            models.mlp((4,), dropout=1.0)


class RecordsTest(tf.test.TestCase):
    def test_atomic_write_keeps_old_file_on_failure(self):
        out = self.create_tempdir().full_path
        records.write_metrics(out, {"a": 1, "nan": float("nan")})
        self.assertEqual(records.read_metrics(out), {"a": 1, "nan": None})
        with self.assertRaises(TypeError):
            records.write_metrics(out, {"bad": object()})
        self.assertEqual(records.read_metrics(out)["a"], 1)
        self.assertEqual(sorted(os.listdir(out)), ["metrics.json"])

    def test_unwritable_output_dir(self):
        blocker = self.create_tempfile("file").full_path
        with self.assertRaisesRegex(records.OutputDirError, "not writable"):
            records.prepare_output_dir(os.path.join(blocker, "sub"))

    def test_sorted_keys_make_identical_files(self):
        out = self.create_tempdir()
        path = records.write_json_atomic(
            os.path.join(out.full_path, "m.json"), {"b": [1, 2], "a": (3,)}
        )
        with open(path) as f:
            self.assertEqual(json.load(f), {"a": [3], "b": [1, 2]})


if __name__ == "__main__":
    tf.test.main()
