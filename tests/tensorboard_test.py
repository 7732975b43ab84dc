"""TensorBoard summaries of a run, read back from the event files."""

import collections
import json
import tempfile

import keras
import numpy as np
import tensorflow as tf
from tensorboard.backend.event_processing import event_accumulator

from keras_initstudy.diagnostics import callbacks
from keras_initstudy.study import models
from keras_initstudy.study.kinds import classifier
from tests import testutil


def _read_events(logdir):
    """`{tag: [(step, value)]}` as TensorBoard's own loader reads `logdir`.

    Scalars are 0-d arrays; histograms `(buckets, 3)` arrays of
    `[left edge, right edge, count]`.
    """
    accumulator = event_accumulator.EventAccumulator(
        logdir, size_guidance={event_accumulator.TENSORS: 0}
    )
    accumulator.Reload()
    events = collections.defaultdict(list)
    for tag in accumulator.Tags()["tensors"]:
        for event in accumulator.Tensors(tag):
            events[tag].append(
                (event.step, tf.make_ndarray(event.tensor_proto))
            )
    return events


def _steps(events, tag):
    return [step for step, _ in events[tag]]


def _values(events, tag):
    return [float(value) for _, value in events[tag]]


class RunClassifierSummariesTest(tf.test.TestCase):
    """The article's budget (100 minibatches) on MNIST, two hidden layers."""

    CONFIG = classifier.ClassifierConfig(
        init="he_normal", hidden_units=(32, 16)
    )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # One run serves every test of the class.
        cls._tmp = tempfile.TemporaryDirectory()
        cls.record = classifier.run_classifier(
            cls.CONFIG, dataset=testutil.mnist(), logdir=cls._tmp.name
        )
        cls.events = _read_events(cls._tmp.name)

    @classmethod
    def tearDownClass(cls):
        cls._tmp.cleanup()
        super().tearDownClass()

    def test_scalars_follow_the_record(self):
        events, record = self.events, self.record
        self.assertEqual(_steps(events, "train/loss"), list(range(1, 101)))
        self.assertAllClose(
            _values(events, "train/loss"), record["train_loss"], rtol=1e-6
        )
        self.assertEqual(_steps(events, "eval/loss"), list(range(0, 101, 10)))
        self.assertEqual(_steps(events, "eval/loss"), record["eval_iterations"])
        self.assertAllClose(
            _values(events, "eval/loss"), record["eval_loss"], rtol=1e-6
        )
        for tag, key in (
            ("test/accuracy", "test_accuracy"),
            ("test/loss", "test_loss"),
        ):
            self.assertEqual(_steps(events, tag), [100])
            # Summaries hold float32.
            self.assertEqual(
                _values(events, tag)[0], float(np.float32(record[key]))
            )
        for layer in ("hidden_1", "hidden_2"):
            tag = f"symmetry/{layer}/distinct_units"
            entry = record["symmetry"][layer]
            self.assertEqual(_steps(events, tag), entry["iteration"])
            self.assertEqual(_values(events, tag), entry["distinct_units"])

    def test_histograms_of_hidden_layers_every_eval(self):
        expected = {
            f"{kind}/{layer}{suffix}"
            for layer in ("hidden_1", "hidden_2")
            for kind, suffix in (("weights", "/kernel"), ("activations", ""))
        }
        histograms = {
            tag
            for tag in self.events
            if tag.split("/")[0] in ("weights", "activations")
        }
        self.assertEqual(histograms, expected)
        for tag in expected:
            self.assertEqual(_steps(self.events, tag), list(range(0, 101, 10)))
        # Each histogram counts every value: the kernel's entries, and the
        # layer's outputs on the probe batch.
        _, kernel = self.events["weights/hidden_2/kernel"][0]
        self.assertEqual(kernel[:, 2].sum(), 32 * 16)
        _, activations = self.events["activations/hidden_1"][-1]
        self.assertEqual(
            activations[:, 2].sum(), classifier.SUMMARY_PROBE_SIZE * 32
        )

    def test_logdir_leaves_the_record_unchanged(self):
        without = classifier.run_classifier(
            self.CONFIG, dataset=testutil.mnist()
        )
        self.assertEqual(json.dumps(without), json.dumps(self.record))


class TensorBoardSummariesTest(tf.test.TestCase):
    def test_model_fit(self):
        rng = np.random.default_rng(0)
        x = rng.random((60, 28, 28), dtype=np.float32)
        y = rng.integers(0, 10, 60)
        model = models.mlp((6,), kernel_initializer="he_normal", seed=0)
        model.compile(
            "sgd",
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        logdir = self.create_tempdir().full_path
        monitor = callbacks.SymmetryMonitor(every=2)
        summaries = callbacks.TensorBoardSummaries(
            logdir, histogram_every=4, probe=(x[:7], y[:7]), symmetry=monitor
        )
        # 2 epochs of 3 batches: steps count iterations across epochs.
        model.fit(
            x,
            y,
            batch_size=20,
            epochs=2,
            verbose=0,
            callbacks=[monitor, summaries],
        )
        events = _read_events(logdir)
        self.assertEqual(_steps(events, "train/loss"), [1, 2, 3, 4, 5, 6])
        self.assertNotIn("eval/loss", events)
        self.assertEqual(
            _steps(events, "symmetry/hidden_1/distinct_units"), [0, 2, 4, 6]
        )
        self.assertEqual(_steps(events, "activations/hidden_1"), [0, 4, 6])
        _, activations = events["activations/hidden_1"][0]
        self.assertEqual(activations[:, 2].sum(), 7 * 6)

    def test_without_probe_or_monitor(self):
        rng = np.random.default_rng(1)
        x = rng.random((40, 28, 28), dtype=np.float32)
        y = rng.integers(0, 10, 40)
        model = models.mlp((5, 4), seed=0)
        model.compile(
            "sgd",
            keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        )
        logdir = self.create_tempdir().full_path
        summaries = callbacks.TensorBoardSummaries(
            logdir, histogram_every=1, layer_names=["hidden_2"]
        )
        model.fit(x, y, batch_size=20, verbose=0, callbacks=[summaries])
        summaries.write_scalars({"test/accuracy": 0.25})
        events = _read_events(logdir)
        self.assertEqual(
            sorted(events),
            ["test/accuracy", "train/loss", "weights/hidden_2/kernel"],
        )
        self.assertEqual(_steps(events, "weights/hidden_2/kernel"), [0, 1, 2])
        self.assertEqual(events["test/accuracy"], [(2, 0.25)])

    def test_invalid_every(self):
        with self.assertRaisesRegex(ValueError, "every=0"):
            callbacks.TensorBoardSummaries("unused", histogram_every=0)


class RunNameTest(tf.test.TestCase):
    def test_names_differ_by_what_differs(self):
        self.assertEqual(
            classifier.run_name(classifier.ClassifierConfig()),
            "zeros_relu_seed0",
        )
        self.assertEqual(
            classifier.run_name(
                classifier.ClassifierConfig(
                    init="constant",
                    init_value=0.05,
                    activation="sigmoid",
                    dropout=0.5,
                    optimizer="adam",
                    seed=2,
                )
            ),
            "constant0.05_sigmoid_dropout0.5_adam_seed2",
        )
        names = {
            classifier.run_name(classifier.ClassifierConfig(**kwargs))
            for kwargs in (
                {},
                dict(seed=1),
                dict(activation="tanh"),
                dict(init="he_normal"),
                dict(init="he_normal", output_init="zeros"),
                dict(bias_init="random_normal"),
            )
        }
        self.assertLen(names, 6)


if __name__ == "__main__":
    tf.test.main()
