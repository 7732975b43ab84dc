"""Tests for `doctor.repair` and the doctor binary's `--fix`.

Repair re-initializes exactly the weights behind errors and warnings, with
the initializer the finding names (the critical one for tanh with biases,
LSUV with a batch), deterministically for a seed, and leaves every other
weight bit-identical. `--fix` saves the repaired model atomically.
"""

import json
import math
import os

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy import theory
from keras_initstudy.diagnostics import doctor
from keras_initstudy.diagnostics.doctor.repair import prescription
from keras_initstudy.study import models
from tests import testutil


def _values(model):
    return {v.path: keras.ops.convert_to_numpy(v) for v in model.weights}


def _changed(changes):
    return {f"{c.layer}/{c.weight}" for c in changes}


def _std_tolerance(n):
    """Five standard errors of a sample std of `n` normal draws, relative."""
    return 5 / math.sqrt(2 * n)


class RepairTest(tf.test.TestCase, parameterized.TestCase):
    def _assert_only_changed(self, before, model, changes):
        """Changed weights differ; every other one is bit-identical.

        Keras's variable paths may start with the model's name, the
        doctor's start at its first layer: a change names the variable
        whose path ends with its own.
        """
        after = _values(model)
        self.assertCountEqual(after, before)
        differ = [
            path
            for path, value in before.items()
            if not np.array_equal(after[path], value)
        ]
        self.assertLen(differ, len(changes))
        for change in _changed(changes):
            named = [
                p for p in differ if p == change or p.endswith(f"/{change}")
            ]
            self.assertLen(named, 1, change)

    def test_zeros_mlp_has_no_error_after_and_the_rest_is_untouched(self):
        # Small random biases: the doctor only informs about them, so
        # repair keeps them. The zero output kernel is information too, but
        # the repaired layers learn through it: it is drawn with them.
        model = models.mlp(
            (32, 16),
            kernel_initializer="zeros",
            bias_initializer="small_random",
            input_shape=(20,),
            seed=0,
        )
        self.assertTrue(doctor.examine(model).has(doctor.ERROR))
        before = _values(model)
        repaired, changes = doctor.repair(model)
        self.assertIs(repaired, model)
        self.assertEqual(
            _changed(changes),
            {"hidden_1/kernel", "hidden_2/kernel", "output/kernel"},
        )
        self._assert_only_changed(before, model, changes)
        self.assertFalse(doctor.examine(model).has(doctor.ERROR))
        by_path = {f"{c.layer}/{c.weight}": c for c in changes}
        self.assertEqual(by_path["output/kernel"].checks, ("zero_kernel",))
        self.assertEqual(by_path["output/kernel"].initializer, "xavier_normal")

    def test_change_records_the_he_draw(self):
        model = models.mlp((64,), kernel_initializer="zeros", seed=0)
        _, changes = doctor.repair(model)
        change = changes[0]
        self.assertEqual(
            (change.layer, change.weight, change.checks, change.initializer),
            ("hidden_1", "kernel", ("zero_kernel", "signal_path"), "he_normal"),
        )
        self.assertEqual(change.old_std, 0.0)
        # He: sqrt(2 / fan_in), fan_in = 28 * 28.
        self.assertAllClose(
            change.new_std,
            math.sqrt(2 / 784),
            rtol=_std_tolerance(784 * 64),
        )
        self.assertEqual(
            change.as_dict()["checks"], ["zero_kernel", "signal_path"]
        )

    def test_same_seed_same_repair(self):
        def repaired(seed):
            model = models.mlp((16,), kernel_initializer="zeros", seed=0)
            doctor.repair(model, seed=seed)
            return _values(model)

        first, again, other = repaired(3), repaired(3), repaired(4)
        for path in first:
            self.assertAllEqual(first[path], again[path])
        self.assertNotAllClose(
            first["hidden_1/kernel"], other["hidden_1/kernel"]
        )

    def test_tanh_without_bias_gets_the_unit_fixed_point(self):
        model = models.mlp(
            (64,), "tanh", kernel_initializer="large_random", seed=0
        )
        _, changes = doctor.repair(model)
        by_path = {f"{c.layer}/{c.weight}": c for c in changes}
        change = by_path["hidden_1/kernel"]
        self.assertIn("q* = 1 for tanh", change.initializer)
        # One tanh layer: sigma_w2 = 1 / E[tanh(z)^2], no depth to limit it.
        sigma_w2 = theory.depth_sigma_w2(1, 0.0, "tanh")
        self.assertAllClose(
            theory.q_star(sigma_w2, 0.0, "tanh"), 1.0, rtol=1e-6
        )
        self.assertAllClose(
            change.new_std,
            math.sqrt(sigma_w2 / 784),
            rtol=_std_tolerance(784 * 64),
        )

    def test_tanh_with_biases_gets_the_mean_field_sigma_w(self):
        model = models.mlp(
            (256, 256),
            "tanh",
            kernel_initializer="large_random",
            bias_initializer=keras.initializers.Constant(0.3),
            input_shape=(100,),
            seed=0,
        )
        before = _values(model)
        _, changes = doctor.repair(model)
        self._assert_only_changed(before, model, changes)
        by_path = {f"{c.layer}/{c.weight}": c for c in changes}
        sigma_w2 = theory.depth_sigma_w2(2, 0.09, "tanh")
        for layer, fan_in in (("hidden_1", 100), ("hidden_2", 256)):
            change = by_path[f"{layer}/kernel"]
            self.assertIn("sigma_b2=0.09 over 2 layers", change.initializer)
            self.assertAllClose(
                change.new_std,
                math.sqrt(sigma_w2 / fan_in),
                rtol=_std_tolerance(fan_in * 256),
            )
        # The output layer has no tanh after it: the finding's initializer.
        self.assertNotIn("q*", by_path["output/kernel"].initializer)

    def test_deep_relu_chain_gets_looks_linear(self):
        model = keras.Sequential(
            [keras.Input((784,))]
            + [
                keras.layers.Dense(
                    128,
                    "relu",
                    kernel_initializer=keras.initializers.GlorotNormal(i),
                    name=f"hidden_{i + 1}",
                )
                for i in range(30)
            ]
            + [keras.layers.Dense(10, name="logits")]
        )
        x = testutil.mnist().x_test[:128].reshape(128, -1)
        self.assertTrue(doctor.examine(model).has(doctor.WARNING))
        for batch in (None, x):
            before = _values(model)
            _, changes = doctor.repair(model, batch)
            self._assert_only_changed(before, model, changes)
            # Every layer the path names, not only the first or the last.
            self.assertEqual(
                [c.layer for c in changes],
                [f"hidden_{i + 1}" for i in range(30)],
            )
            self.assertStartsWith(
                changes[0].initializer,
                "looks_linear(mirror_inputs=False, mirror_outputs=True",
            )
            self.assertStartsWith(
                changes[-1].initializer,
                "looks_linear(mirror_inputs=True, mirror_outputs=False",
            )
            # The chain is the linear map: the logits' inputs are relu of
            # the product of the orthogonal blocks, as the kernels say.
            kernels = [
                keras.ops.convert_to_numpy(
                    model.get_layer(f"hidden_{i}").kernel
                )
                for i in range(1, 31)
            ]
            linear = x @ kernels[0][:, :64]
            for kernel in kernels[1:-1]:
                linear = linear @ kernel[:64, :64]
            linear = linear @ kernels[-1][:64]
            hidden = keras.Model(
                model.inputs, model.get_layer("hidden_30").output
            )
            self.assertAllClose(
                hidden(x), np.maximum(linear, 0), rtol=1e-4, atol=1e-4
            )
            report = doctor.examine(model, batch)
            self.assertFalse(report.has(doctor.WARNING), report.findings)
            # Glorot again, for the batch's turn.
            for i in range(30):
                layer = model.get_layer(f"hidden_{i + 1}")
                layer.kernel.assign(
                    keras.initializers.GlorotNormal(i)(layer.kernel.shape)
                )

    def test_zero_output_alone_is_left_as_it_is(self):
        # The zero output kernel is information: with nothing to repair
        # before it, repair touches nothing.
        model = models.mlp((32,), output_kernel_initializer="zeros", seed=0)
        before = _values(model)
        _, changes = doctor.repair(model)
        self.assertEmpty(changes)
        self._assert_only_changed(before, model, changes)

    def test_batch_repairs_by_lsuv(self):
        model = models.mlp(
            (64, 64),
            "tanh",
            kernel_initializer="large_random",
            output_kernel_initializer="xavier_normal",
            seed=0,
        )
        x = testutil.mnist().x_test[:128]
        before = _values(model)
        _, changes = doctor.repair(model, x)
        # The two N(0, 1) kernels, and whatever else the exploding path
        # names as its cause.
        self.assertContainsSubset(
            {"hidden_1/kernel", "hidden_2/kernel"}, _changed(changes)
        )
        self.assertEqual({c.initializer for c in changes}, {"lsuv"})
        self._assert_only_changed(before, model, changes)
        self.assertFalse(doctor.examine(model, x).has(doctor.ERROR))

    def test_recurrent_kernel_by_its_path(self):
        model = keras.Sequential(
            [
                keras.Input((5, 3)),
                keras.layers.LSTM(
                    8,
                    recurrent_initializer=keras.initializers.RandomNormal(
                        0.0, 1.0, seed=1
                    ),
                    name="lstm",
                ),
                keras.layers.Dense(2),
            ]
        )
        before = _values(model)
        _, changes = doctor.repair(model)
        by_path = {(c.layer, c.weight): c for c in changes}
        change = by_path["lstm/lstm_cell", "recurrent_kernel"]
        self.assertEqual(change.initializer, "orthogonal")
        self._assert_only_changed(before, model, changes)
        after = doctor.examine(model)
        self.assertFalse(after.has(doctor.ERROR))
        self.assertNotIn(
            ("lstm/lstm_cell/recurrent_kernel", "scale"),
            [(f.path, f.check) for f in after.findings if f.severity != "info"],
        )

    def test_layers_limits_the_repair(self):
        model = models.mlp((16, 16), kernel_initializer="zeros", seed=0)
        before = _values(model)
        _, changes = doctor.repair(model, layers=["hidden_2"])
        self.assertEqual(_changed(changes), {"hidden_2/kernel"})
        self._assert_only_changed(before, model, changes)
        with self.assertRaisesRegex(ValueError, "no layer at hidden_9"):
            doctor.repair(model, layers=["hidden_9"])

    @parameterized.named_parameters(
        (
            "plain",
            'kernel_initializer=keras_initstudy.get("he_normal", seed=0)',
            ("kernel_initializer", "he_normal", {}),
        ),
        (
            "with_arguments",
            'kernel_initializer=keras_initstudy.get("he_normal", '
            "depthwise=True, seed=0)",
            ("kernel_initializer", "he_normal", {"depthwise": True}),
        ),
        (
            "in_a_sentence",
            "give each layer its own instance, e.g. kernel_initializer="
            'keras_initstudy.get("he_normal", seed=0) with a different seed',
            ("kernel_initializer", "he_normal", {}),
        ),
        (
            "no_seed_argument",
            'gamma_initializer=keras_initstudy.get("ones")',
            ("gamma_initializer", "ones", {}),
        ),
        ("none", "", None),
    )
    def test_prescription(self, fix, expected):
        finding = doctor.Finding("a/kernel", "scale", doctor.WARNING, "", fix)
        self.assertEqual(prescription(finding), expected)

    def test_prescription_reads_what_fix_writes(self):
        finding = doctor.Finding(
            "a/kernel",
            "scale",
            doctor.WARNING,
            "",
            doctor.fix("depthwise_initializer", "he_normal", depthwise=True),
        )
        self.assertEqual(
            prescription(finding),
            ("depthwise_initializer", "he_normal", {"depthwise": True}),
        )


class FixFlagTest(tf.test.TestCase):
    def _run(self, *args):
        return testutil.run_module("experiments.doctor", *args)

    def test_fix_writes_a_loadable_model_and_prints_the_changes(self):
        tmp = self.create_tempdir().full_path
        model_path = os.path.join(tmp, "zero.keras")
        models.mlp((8,), kernel_initializer="zeros", seed=0).save(model_path)
        fixed = os.path.join(tmp, "out", "fixed.keras")
        proc = self._run(
            model_path,
            f"--fix={fixed}",
            f"--output_dir={tmp}",
            "--fail_on=error",
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        # The zero hidden kernel, and the zero output kernel it learns through.
        self.assertIn(f"repaired 2 weight(s), saved to {fixed}", proc.stdout)
        self.assertIn(
            "hidden_1/kernel (zero_kernel, signal_path): std 0 ->", proc.stdout
        )
        self.assertIn("he_normal", proc.stdout)
        self.assertEqual(os.listdir(os.path.dirname(fixed)), ["fixed.keras"])
        model = keras.saving.load_model(fixed, compile=False)
        self.assertGreater(np.std(model.get_layer("hidden_1").kernel), 0)
        self.assertFalse(doctor.examine(model).has(doctor.ERROR))
        with open(os.path.join(tmp, "doctor.json")) as f:
            record = json.load(f)
        # The zero kernel, and the signal path it cuts.
        self.assertEqual(record["counts"]["error"], 2)
        self.assertEqual(record["repair"]["output"], fixed)
        self.assertEqual(record["repair"]["after"]["counts"]["error"], 0)
        self.assertEqual(
            [c["layer"] for c in record["repair"]["changes"]],
            ["hidden_1", "output"],
        )

    def _assert_one_line(self, proc, exitcode, fragment):
        report = f"exit {proc.returncode}, stderr:\n{proc.stderr[-3000:]}"
        self.assertEqual(proc.returncode, exitcode, report)
        self.assertNotIn("Traceback", proc.stderr)
        messages = testutil.stderr_messages(proc.stderr)
        self.assertIn(fragment, messages[0], report)
        return messages

    def test_fix_to_an_unwritable_folder_is_one_line(self):
        tmp = self.create_tempdir()
        blocker = tmp.create_file("a_file", content="not a folder").full_path
        out = os.path.join(tmp.full_path, "out")
        proc = self._run(
            "--init=zeros",
            f"--fix={blocker}/fixed.keras",
            f"--output_dir={out}",
        )
        messages = self._assert_one_line(proc, 2, "--fix=")
        self.assertLen(messages, 1)
        self.assertStartsWith(messages[0], "error: ")
        # Nothing written: no record, no model, no temporary file.
        self.assertEqual(sorted(os.listdir(tmp.full_path)), ["a_file"])

    def test_fix_must_name_a_keras_file(self):
        tmp = self.create_tempdir().full_path
        proc = self._run(
            "--init=zeros",
            f"--fix={tmp}/fixed.h5",
            f"--output_dir={tmp}",
        )
        self._assert_one_line(proc, 1, "must name a .keras file")
        self.assertEmpty(os.listdir(tmp))


if __name__ == "__main__":
    tf.test.main()
