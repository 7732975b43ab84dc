"""The article's MNIST claims, checked on the real data.

Zero init with relu or tanh (g(0) = 0): no gradient reaches a hidden weight,
only the output biases learn the class prior, so the loss stays at ln 10 and
the net answers the most frequent training digit for every test image.
"""

import json
import math
import os

import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.study.kinds import classifier
from tests import testutil

LN10 = math.log(10.0)


def _prior_accuracy(ds):
    """Share of the most frequent training class in the test set."""
    prior_class = np.argmax(np.bincount(ds.y_train))
    return float(np.mean(ds.y_test == prior_class))


def _run(**kwargs):
    return classifier.run_classifier(
        classifier.ClassifierConfig(**kwargs), dataset=testutil.mnist()
    )


def _run_binary(*args, env=None):
    return testutil.run_module("experiments.mnist", *args, env=env)


class ZeroInitTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("relu_sgd", dict()),
        ("tanh_sgd", dict(activation="tanh")),
        ("two_hidden_layers", dict(hidden_units=(128, 64))),
        ("relu_adam", dict(optimizer="adam")),
        ("tanh_adam", dict(activation="tanh", optimizer="adam")),
    )
    def test_stays_at_the_prior(self, overrides):
        metrics = _run(init="zeros", **overrides)
        self.assertEqual(metrics["status"], "ok")
        self.assertLen(metrics["train_loss"], 100)
        self.assertEqual(
            metrics["test_accuracy"], _prior_accuracy(testutil.mnist())
        )
        self.assertAllClose(
            metrics["train_loss"], [LN10] * 100, atol=0.01, rtol=0
        )
        self.assertEqual(metrics["eval_iterations"], list(range(0, 101, 10)))
        self.assertAllClose(
            metrics["eval_loss"], [LN10] * 11, atol=0.003, rtol=0
        )
        self.assertEqual(
            metrics["distinct_units"],
            [1] * len(metrics["config"]["hidden_units"]),
        )

    @parameterized.named_parameters(("sgd", "sgd"), ("adam", "adam"))
    def test_sigmoid_stays_one_unit_but_learns(self, optimizer):
        # g(0) = 0.5: the hidden layer is one distinct unit, yet that unit's
        # weights get gradients, so the net is not pinned to the prior.
        metrics = _run(init="zeros", activation="sigmoid", optimizer=optimizer)
        self.assertLessEqual(metrics["test_accuracy"], 0.25)
        if optimizer == "sgd":
            self.assertEqual(metrics["distinct_units"], [1])
            return
        # Adam divides each coordinate's gradient by its own running scale,
        # so where the exact gradient is 0 it turns float rounding noise
        # into steps of size ~lr. Whether the noise differs between units
        # depends on the CPU's matmul kernels; where it does, the tie splits
        # at the 1e-4 level while the units stay one feature. Compare that
        # with He init, whose units differ by more than their own norm.
        entry = metrics["symmetry"]["hidden_1"]
        self.assertLess(entry["max_pairwise_distance"][-1], 1e-3)

    def test_he_normal_trains(self):
        metrics = _run(init="he_normal")
        self.assertGreaterEqual(metrics["test_accuracy"], 0.85)
        self.assertEqual(metrics["distinct_units"], [128])
        self.assertLess(metrics["train_loss"][-1], metrics["train_loss"][0])

    def test_same_seed_same_record(self):
        first = _run(init="he_normal", iterations=20, seed=3)
        second = _run(init="he_normal", iterations=20, seed=3)
        other_seed = _run(init="he_normal", iterations=20, seed=4)
        self.assertEqual(json.dumps(first), json.dumps(second))
        self.assertNotEqual(first["train_loss"], other_seed["train_loss"])


class BinaryTest(tf.test.TestCase):
    def test_writes_metrics_json(self):
        out = self.create_tempdir().full_path
        proc = _run_binary("--init=zeros", f"--output_dir={out}")
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        with open(os.path.join(out, "metrics.json")) as f:
            metrics = json.load(f)
        self.assertLen(metrics["train_loss"], 100)
        self.assertEqual(metrics["config"]["init"], "zeros")
        self.assertEqual(metrics["status"], "ok")
        self.assertEqual(
            metrics["test_accuracy"], _prior_accuracy(testutil.mnist())
        )
        self.assertIn("test accuracy 11.35%", proc.stderr)
        # On a pipe: the summary lines only, no bar, no line per iteration.
        self.assertNotIn("iteration 1: loss", proc.stderr)
        self.assertNotIn("100/100", proc.stderr + proc.stdout)

    def test_terminal_shows_a_progress_bar(self):
        out = self.create_tempdir().full_path
        returncode, shown = testutil.run_module_in_terminal(
            "experiments.mnist",
            "--init=zeros",
            "--iterations=20",
            "--nofigure",
            f"--output_dir={out}",
        )
        self.assertEqual(returncode, 0, shown[-2000:])
        self.assertIn("20/20", shown)
        self.assertIn("ms/iteration", shown)
        self.assertNotIn("iteration 1: loss", shown)
        self.assertIn("test accuracy", shown)

    def test_verbose_log_and_tensorboard_folder(self):
        out = self.create_tempdir().full_path
        logdir = self.create_tempdir().full_path
        proc = _run_binary(
            "--init=zeros",
            "--iterations=5",
            "--nofigure",
            "-v=1",
            f"--output_dir={out}",
            f"--logdir={logdir}",
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        with open(os.path.join(out, "metrics.json")) as f:
            losses = json.load(f)["train_loss"]
        for i, loss in enumerate(losses, start=1):
            self.assertIn(f"iteration {i}: loss {loss:.6f}", proc.stderr)
        self.assertNotIn("5/5", proc.stderr + proc.stdout)
        # One folder per run, named by classifier.run_name, for TensorBoard.
        self.assertEqual(os.listdir(logdir), ["zeros_relu_seed0"])
        files = os.listdir(os.path.join(logdir, "zeros_relu_seed0"))
        self.assertNotEmpty(files)
        for name in files:
            self.assertStartsWith(name, "events.out.tfevents.")

    def test_unwritable_logdir(self):
        blocker = self.create_tempfile("not_a_dir").full_path
        out = self.create_tempdir().full_path
        proc = _run_binary(
            "--iterations=1", f"--output_dir={out}", f"--logdir={blocker}"
        )
        self.assertEqual(proc.returncode, 2)
        self.assertIn("not writable", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)

    def test_unknown_init_lists_valid_names(self):
        proc = _run_binary("--init=bogus")
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("he_normal", proc.stderr)
        self.assertIn("zeros", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)

    def test_corrupt_idx_file_is_one_line_error(self):
        folder = self.create_tempdir().full_path
        files = testutil.write_idx_folder(folder)
        path = files[("train", "images")][0]
        with open(path, "r+b") as f:
            f.truncate(100)
        proc = _run_binary(f"--data_dir={folder}", "--output_dir=" + folder)
        self.assertEqual(proc.returncode, 2)
        self.assertNotIn("Traceback", proc.stderr)
        self.assertIn(os.path.basename(path), proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(folder, "metrics.json")))

    def test_unwritable_output_dir(self):
        blocker = self.create_tempfile("not_a_dir").full_path
        proc = _run_binary("--iterations=1", f"--output_dir={blocker}/run")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("not writable", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)


if __name__ == "__main__":
    tf.test.main()
