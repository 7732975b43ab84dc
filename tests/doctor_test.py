"""Tests for the initialization doctor (library and binary)."""

import json
import os

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy import doctor
from keras_initstudy import models
from tests import testutil


def _checks(model):
    return [(f.layer, f.check, f.severity) for f in doctor.examine(model)]


class ExamineTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("he_relu", "he_normal", "relu"),
        ("xavier_tanh", "xavier_normal", "tanh"),
        ("xavier_sigmoid", "xavier_uniform", "sigmoid"),
    )
    def test_sound_inits_are_clean(self, init, activation):
        model = models.mlp(
            (64, 32), activation, kernel_initializer=init, seed=0
        )
        self.assertEqual(doctor.examine(model), [])

    def test_zero_hidden_is_error_zero_output_is_info(self):
        model = models.mlp((16, 16), kernel_initializer="zeros")
        self.assertEqual(
            _checks(model),
            [
                ("hidden_1", "zero_kernel", "error"),
                ("hidden_2", "zero_kernel", "error"),
                ("output", "zero_kernel", "info"),
            ],
        )

    def test_constant_kernel(self):
        model = models.mlp(
            (8,), kernel_initializer=keras.initializers.Constant(0.05)
        )
        self.assertIn(("hidden_1", "constant_kernel", "error"), _checks(model))

    def test_symmetric_units_found_in_a_random_layer(self):
        model = models.mlp((8,), kernel_initializer="he_normal", seed=0)
        layer = model.get_layer("hidden_1")
        kernel = layer.kernel.numpy()
        kernel[:, 5] = kernel[:, 2]
        layer.kernel.assign(kernel)
        findings = doctor.examine(model)
        self.assertEqual(
            [(f.layer, f.check) for f in findings],
            [("hidden_1", "symmetric_units")],
        )
        self.assertIn("only 7 distinct", findings[0].message)

    @parameterized.named_parameters(
        ("small", "small_random", "small"), ("large", "large_random", "large")
    )
    def test_scale(self, init, direction):
        model = models.mlp((256,), kernel_initializer=init, seed=0)
        findings = [f for f in doctor.examine(model) if f.layer == "hidden_1"]
        self.assertEqual([f.check for f in findings], ["scale"])
        self.assertIn(f"too {direction}", findings[0].message)

    def test_scale_boundary(self):
        # A kernel whose std is exactly at the tolerance passes; beyond, not.
        layer = keras.layers.Dense(100, activation="relu")
        layer.build((None, 400))
        target = doctor.recommended_std((400, 100), "relu")
        rng = np.random.default_rng(0)
        base = rng.standard_normal((400, 100)).astype(np.float64)
        base /= base.std()
        model = keras.Sequential([keras.Input((400,)), layer])
        for factor, flagged in (
            (1.99, False),
            (2.01, True),
            (0.51, False),
            (0.49, True),
        ):
            layer.kernel.assign((base * target * factor).astype(np.float32))
            checks = [f.check for f in doctor.examine(model)]
            self.assertEqual("scale" in checks, flagged, factor)

    def test_shared_unseeded_instance_is_flagged(self):
        init = keras.initializers.GlorotNormal()
        model = keras.Sequential(
            [
                keras.Input((32,)),
                keras.layers.Dense(32, kernel_initializer=init, name="a"),
                keras.layers.Dense(32, kernel_initializer=init, name="b"),
                keras.layers.Dense(10, name="out"),
            ]
        )
        self.assertEqual(_checks(model), [("b", "duplicate_layers", "warning")])

    def test_conv_layers(self):
        model = keras.Sequential(
            [
                keras.Input((8, 8, 3)),
                keras.layers.Conv2D(
                    4,
                    3,
                    activation="relu",
                    kernel_initializer="zeros",
                    name="conv",
                ),
                keras.layers.Flatten(),
                keras.layers.Dense(10, name="out"),
            ]
        )
        self.assertIn(("conv", "zero_kernel", "error"), _checks(model))


class DoctorBinaryTest(tf.test.TestCase):
    def _run(self, *args):
        return testutil.run_module("experiments.doctor", *args)

    def test_saved_model_with_fail_on_error(self):
        tmp = self.create_tempdir().full_path
        path = os.path.join(tmp, "zero.keras")
        models.mlp((8,), kernel_initializer="zeros").save(path)
        proc = self._run(
            f"--model={path}", f"--output_dir={tmp}", "--fail_on=error"
        )
        self.assertEqual(proc.returncode, 1, proc.stderr[-2000:])
        with open(os.path.join(tmp, "doctor.json")) as f:
            report = json.load(f)
        self.assertEqual(report["counts"]["error"], 1)
        self.assertEqual(report["findings"][0]["check"], "zero_kernel")

    def test_clean_model_exits_zero(self):
        tmp = self.create_tempdir().full_path
        proc = self._run(
            "--init=he_normal", f"--output_dir={tmp}", "--fail_on=warning"
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])

    def test_bad_model_file_is_one_line_error(self):
        tmp = self.create_tempdir()
        bad = tmp.create_file("bad.keras", content="not a zip").full_path
        proc = self._run(f"--model={bad}", f"--output_dir={tmp.full_path}")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("Cannot load", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)


if __name__ == "__main__":
    tf.test.main()
