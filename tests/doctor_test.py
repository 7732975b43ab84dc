"""Tests for the initialization doctor (library, guard and binary).

The zoo builds models of six families from Keras's own layers and
keras.applications: each healthy model gets no error, and each broken
variant gets an error or a warning naming the broken weight by its path.
"""

import json
import os

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.diagnostics import callbacks
from keras_initstudy.diagnostics import doctor
from keras_initstudy.study import models
from keras_initstudy.study.kinds import classifier
from tests import testutil


def _checks(report):
    return [(f.path, f.check, f.severity) for f in report.findings]


def _errors(report):
    return [f for f in report.findings if f.severity == doctor.ERROR]


def _weight_checks(report):
    """`_checks` without the signal paths' verdicts."""
    return [c for c in _checks(report) if c[1] != doctor.SIGNAL_PATH]


# -- The zoo. -------------------------------------------------------------


def mlp(kernel_initializer="he_normal", shared=None):
    if shared is not None:
        init = shared
        return keras.Sequential(
            [
                keras.Input((16,)),
                keras.layers.Dense(
                    16, "relu", kernel_initializer=init, name="a"
                ),
                keras.layers.Dense(
                    16, "relu", kernel_initializer=init, name="b"
                ),
                keras.layers.Dense(10, name="out"),
            ]
        )
    return models.mlp(
        (32, 16),
        kernel_initializer=kernel_initializer,
        input_shape=(20,),
        seed=0,
    )


def cnn(conv_init="he_normal", gamma="ones", shared=None):
    inputs = keras.Input((12, 12, 3))
    x = inputs
    for i in range(1, 4):
        x = keras.layers.Conv2D(
            8,
            3,
            padding="same",
            use_bias=False,
            kernel_initializer=shared
            if shared is not None and i > 1
            else conv_init,
            name=f"conv_{i}",
        )(x)
        x = keras.layers.BatchNormalization(
            gamma_initializer=gamma, name=f"bn_{i}"
        )(x)
        x = keras.layers.ReLU(name=f"relu_{i}")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    outputs = keras.layers.Dense(10, name="logits")(x)
    return keras.Model(inputs, outputs, name="cnn")


def text_rnn(
    embeddings="uniform",
    kernel="glorot_uniform",
    recurrent="orthogonal",
    shared=None,
):
    inputs = keras.Input((12,), dtype="int32")
    x = keras.layers.Embedding(
        100, 16, embeddings_initializer=embeddings, name="embedding"
    )(inputs)
    x = keras.layers.LSTM(
        16,
        return_sequences=True,
        kernel_initializer=kernel,
        recurrent_initializer=recurrent,
        name="lstm",
    )(x)
    if shared is not None:
        x = keras.layers.LSTM(
            16,
            return_sequences=True,
            kernel_initializer=shared,
            name="lstm_b",
        )(x)
        x = keras.layers.LSTM(
            16,
            return_sequences=True,
            kernel_initializer=shared,
            name="lstm_c",
        )(x)
    x = keras.layers.GRU(8, recurrent_initializer=recurrent, name="gru")(x)
    outputs = keras.layers.Dense(4, name="logits")(x)
    return keras.Model(inputs, outputs, name="text_rnn")


def transformer(
    attention="glorot_uniform", gamma="ones", ffn="he_normal", shared=None
):
    inputs = keras.Input((10,), dtype="int32")
    x = keras.layers.Embedding(50, 16, name="embedding")(inputs)
    attended = keras.layers.MultiHeadAttention(
        2, 8, kernel_initializer=attention, name="mha"
    )(x, x)
    x = keras.layers.LayerNormalization(gamma_initializer=gamma, name="ln_1")(
        keras.layers.Add()([x, attended])
    )
    h = keras.layers.Dense(
        16,
        "relu",
        kernel_initializer=shared if shared is not None else ffn,
        name="ffn_1",
    )(x)
    h = keras.layers.Dense(
        16,
        kernel_initializer=shared if shared is not None else "glorot_uniform",
        name="ffn_2",
    )(h)
    x = keras.layers.LayerNormalization(name="ln_2")(keras.layers.Add()([x, h]))
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(3, name="logits")(x)
    return keras.Model(inputs, outputs, name="transformer")


def nested(encoder_init="he_normal", inner_init="glorot_uniform"):
    encoder = keras.Sequential(
        [
            keras.Input((16,)),
            keras.layers.Dense(
                16, "relu", kernel_initializer=encoder_init, name="dense"
            ),
        ],
        name="encoder",
    )
    inputs = keras.Input((5, 8))
    x = keras.layers.TimeDistributed(
        # Named: Keras numbers unnamed layers per process, and which
        # number this one gets depends on the tests run before it.
        keras.layers.Dense(
            8, "tanh", kernel_initializer=inner_init, name="dense"
        ),
        name="time_distributed",
    )(inputs)
    x = keras.layers.Bidirectional(keras.layers.LSTM(8), name="bidirectional")(
        x
    )
    x = encoder(x)
    outputs = keras.layers.Dense(4, name="logits")(x)
    return keras.Model(inputs, outputs, name="nested")


class Subclassed(keras.Model):
    def __init__(self, kernel_initializer="he_normal"):
        super().__init__()
        self.hidden = keras.layers.Dense(
            16, "relu", kernel_initializer=kernel_initializer, name="hidden"
        )
        self.out = keras.layers.Dense(4, name="out")

    def call(self, x):
        return self.out(self.hidden(x))


def subclassed(kernel_initializer="he_normal"):
    model = Subclassed(kernel_initializer)
    model(np.zeros((1, 6), np.float32))
    return model


def _unseeded(cls=keras.initializers.GlorotUniform):
    return cls()


HEALTHY = {
    "mlp": mlp,
    "cnn_batchnorm": cnn,
    "text_lstm_gru": text_rnn,
    "transformer": transformer,
    "nested_and_wrappers": nested,
    "subclassed": subclassed,
}

# name -> (builder, the weight path that must be named, check, severity).
BROKEN = {
    "mlp_zeros": (
        lambda: mlp("zeros"),
        "hidden_1/kernel",
        "zero_kernel",
        doctor.ERROR,
    ),
    "mlp_shared_constant": (
        lambda: mlp(keras.initializers.Constant(0.05)),
        "hidden_1/kernel",
        "constant_kernel",
        doctor.ERROR,
    ),
    "mlp_shared_unseeded_instance": (
        lambda: mlp(shared=_unseeded()),
        "b/kernel",
        "duplicate_weights",
        doctor.WARNING,
    ),
    "mlp_far_off_scale": (
        lambda: mlp("large_random"),
        "hidden_1/kernel",
        "scale",
        doctor.WARNING,
    ),
    "cnn_zeros": (
        lambda: cnn("zeros"),
        "conv_1/kernel",
        "zero_kernel",
        doctor.ERROR,
    ),
    "cnn_shared_constant": (
        lambda: cnn(keras.initializers.Constant(0.1)),
        "conv_2/kernel",
        "constant_kernel",
        doctor.ERROR,
    ),
    "cnn_shared_unseeded_instance": (
        lambda: cnn(shared=_unseeded(keras.initializers.HeNormal)),
        "conv_3/kernel",
        "duplicate_weights",
        doctor.WARNING,
    ),
    "cnn_zero_normalization_scale": (
        lambda: cnn(gamma="zeros"),
        "bn_1/gamma",
        "zero_scale",
        doctor.ERROR,
    ),
    "cnn_far_off_normalization_scale": (
        lambda: cnn(gamma=keras.initializers.Constant(10.0)),
        "bn_2/gamma",
        "scale",
        doctor.WARNING,
    ),
    # An LSTM's zero input kernel and a GRU's constant recurrent kernel
    # feed layers with distinct weights, which part their units on the
    # first step (the zoo's zero-kernel LSTM trains): information.
    "text_zeros": (
        lambda: text_rnn(kernel="zeros"),
        "lstm/lstm_cell/kernel",
        "zero_kernel",
        doctor.INFO,
    ),
    "text_shared_constant": (
        lambda: text_rnn(recurrent=keras.initializers.Constant(0.05)),
        "gru/gru_cell/recurrent_kernel",
        "constant_kernel",
        doctor.INFO,
    ),
    "text_shared_unseeded_instance": (
        lambda: text_rnn(shared=_unseeded()),
        "lstm_c/lstm_cell/kernel",
        "duplicate_weights",
        doctor.WARNING,
    ),
    "text_far_off_recurrent_scale": (
        lambda: text_rnn(recurrent=keras.initializers.RandomNormal(0, 1, 1)),
        "lstm/lstm_cell/recurrent_kernel",
        "scale",
        doctor.WARNING,
    ),
    "text_zero_embeddings": (
        lambda: text_rnn(embeddings="zeros"),
        "embedding/embeddings",
        "identical_rows",
        doctor.WARNING,
    ),
    "transformer_zeros": (
        lambda: transformer(attention="zeros"),
        "mha/query/kernel",
        "zero_kernel",
        doctor.ERROR,
    ),
    "transformer_shared_unseeded_instance": (
        lambda: transformer(shared=_unseeded()),
        "ffn_2/kernel",
        "duplicate_weights",
        doctor.WARNING,
    ),
    "transformer_zero_normalization_scale": (
        lambda: transformer(gamma="zeros"),
        "ln_1/gamma",
        "zero_scale",
        doctor.ERROR,
    ),
    # A residual branch between layer normalizations: the end-to-end path
    # keeps its gain, so the far-off scale is information (issue 17).
    "transformer_far_off_scale": (
        lambda: transformer(ffn=keras.initializers.RandomNormal(0, 3, 1)),
        "ffn_1/kernel",
        "scale",
        doctor.INFO,
    ),
    "nested_zeros_in_submodel": (
        lambda: nested(encoder_init="zeros"),
        "encoder/dense/kernel",
        "zero_kernel",
        doctor.ERROR,
    ),
    # Inside a wrapper, the layers after the wrapper part the units.
    "nested_constant_in_wrapper": (
        lambda: nested(inner_init=keras.initializers.Constant(0.3)),
        "time_distributed/dense/kernel",
        "constant_kernel",
        doctor.INFO,
    ),
    "subclassed_zeros": (
        lambda: subclassed("zeros"),
        "hidden/kernel",
        "zero_kernel",
        doctor.ERROR,
    ),
}


class ZooTest(tf.test.TestCase, parameterized.TestCase):
    def _assert_covered(self, model, report):
        # Every weight is examined or skipped with a reason, once.
        paths = [e.path for e in report.examined] + [
            s.path for s in report.skipped
        ]
        self.assertLen(paths, len(model.weights))
        self.assertLen(set(paths), len(paths))
        self.assertTrue(all(s.reason for s in report.skipped))

    @parameterized.named_parameters(*HEALTHY.items())
    def test_healthy_model_has_no_error(self, build):
        model = build()
        report = doctor.examine(model)
        self.assertEmpty(_errors(report), _checks(report))
        self._assert_covered(model, report)

    @parameterized.named_parameters(
        (name, *case) for name, case in BROKEN.items()
    )
    def test_broken_variant_names_the_weight(
        self, build, path, check, severity
    ):
        model = build()
        report = doctor.examine(model)
        self.assertIn((path, check, severity), _checks(report))
        self._assert_covered(model, report)


class MobileNetTest(tf.test.TestCase, parameterized.TestCase):
    """keras.applications' MobileNet (depthwise), broken in place."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        keras.utils.set_random_seed(0)
        cls.model = keras.applications.MobileNet(
            input_shape=(32, 32, 3), alpha=0.25, weights=None, classes=10
        )
        cls.values = [v.numpy() for v in cls.model.weights]

    def tearDown(self):
        for variable, value in zip(
            self.model.weights, self.values, strict=True
        ):
            variable.assign(value)
        super().tearDown()

    def _set(self, path, fn):
        weight = next(w for w in self.model.weights if w.path == path)
        weight.assign(fn(weight.numpy()))

    def test_healthy(self):
        report = doctor.examine(self.model)
        self.assertEmpty(_errors(report), _checks(report))
        self.assertLen(
            report.examined + report.skipped, len(self.model.weights)
        )
        roles = {e.role for e in report.examined}
        self.assertContainsSubset(
            {"depthwise_kernel", "conv_kernel", "norm_scale"}, roles
        )

    @parameterized.named_parameters(
        ("zeros", "conv_dw_1/kernel", np.zeros_like, "zero_kernel", "error"),
        # The depthwise kernels after it part the channels: information.
        (
            "shared_constant",
            "conv_pw_1/kernel",
            lambda w: np.full_like(w, 0.05),
            "constant_kernel",
            "info",
        ),
        (
            "zero_normalization_scale",
            "conv_dw_1_bn/gamma",
            np.zeros_like,
            "zero_scale",
            "error",
        ),
        (
            "far_off_scale",
            "conv_preds/kernel",
            lambda w: w * 30,
            "scale",
            "warning",
        ),
    )
    def test_broken(self, path, fn, check, severity):
        self._set(path, fn)
        report = doctor.examine(self.model)
        self.assertIn((path, check, severity), _checks(report))

    def test_shared_unseeded_instance(self):
        # Same-shaped depthwise kernels with the same values.
        source = self.model.get_layer("conv_dw_7").kernel.numpy()
        self._set("conv_dw_8/kernel", lambda w: source)
        report = doctor.examine(self.model)
        self.assertIn(
            ("conv_dw_8/kernel", "duplicate_weights", "warning"),
            _checks(report),
        )


class ExamineTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters(
        ("he_relu", "he_normal", "relu"),
        ("xavier_tanh", "xavier_normal", "tanh"),
    )
    def test_sound_inits_are_clean(self, init, activation):
        model = models.mlp(
            (64, 32), activation, kernel_initializer=init, seed=0
        )
        report = doctor.examine(model)
        # Only the signal path's verdict, which is information.
        self.assertEqual(
            _checks(report), [("output", doctor.SIGNAL_PATH, doctor.INFO)]
        )
        self.assertEqual(
            report.summary(), "examined 6 weights in 3 layers; skipped 0"
        )

    def test_sigmoid_loses_the_gradient_end_to_end(self):
        # Glorot's std preserves the variance, but sigmoid' <= 1/4: the
        # gradient reaching the input is 11x smaller than at the logits
        # (0.087 measured on MNIST), so the path warns (issue 17) while no
        # weight is off and no initializer is offered as the fix.
        model = models.mlp(
            (64, 32), "sigmoid", kernel_initializer="xavier_uniform", seed=0
        )
        report = doctor.examine(model)
        self.assertEqual(_weight_checks(report), [])
        (path,) = report.findings
        self.assertEqual(path.severity, doctor.WARNING)
        self.assertIn("vanishing backward", path.message)
        self.assertCountEqual(path.causes, ("hidden_1", "hidden_2"))
        self.assertEqual(path.fix, "")

    def test_zero_hidden_is_error_zero_output_is_info(self):
        model = models.mlp((16, 16), kernel_initializer="zeros")
        # The zero readout is deliberate, so the path is judged up to the
        # signal it reads, which the zero hidden layers have lost.
        self.assertEqual(
            _checks(doctor.examine(model)),
            [
                ("hidden_1/kernel", "zero_kernel", "error"),
                ("hidden_2/kernel", "zero_kernel", "error"),
                ("hidden_2", "signal_path", "error"),
                ("output/kernel", "zero_kernel", "info"),
            ],
        )

    def test_symmetric_units_found_in_a_random_layer(self):
        model = models.mlp((8,), kernel_initializer="he_normal", seed=0)
        layer = model.get_layer("hidden_1")
        kernel = layer.kernel.numpy()
        kernel[:, 5] = kernel[:, 2]
        layer.kernel.assign(kernel)
        findings = doctor.examine(model).findings
        self.assertEqual(
            [(f.path, f.check) for f in findings],
            [("hidden_1/kernel", "symmetric_units"), ("output", "signal_path")],
        )
        self.assertIn("only 7 distinct", findings[0].message)

    def test_symmetric_recurrent_units(self):
        # Unit 3 copies unit 1 in every gate of every weight of the cell.
        model = text_rnn()
        cell = model.get_layer("lstm").cell
        units = 16
        for weight in (cell.kernel, cell.recurrent_kernel, cell.bias):
            value = weight.numpy()
            for gate in range(4):
                value[..., gate * units + 3] = value[..., gate * units + 1]
            weight.assign(value)
        self.assertIn(
            ("lstm/lstm_cell/recurrent_kernel", "symmetric_units", "error"),
            _checks(doctor.examine(model)),
        )

    @parameterized.named_parameters(
        ("small", "small_random", "small"), ("large", "large_random", "large")
    )
    def test_scale(self, init, direction):
        model = models.mlp((256,), kernel_initializer=init, seed=0)
        findings = [
            f
            for f in doctor.examine(model).findings
            if f.path == "hidden_1/kernel"
        ]
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
            checks = [f.check for f in doctor.examine(model).findings]
            self.assertEqual("scale" in checks, flagged, factor)

    def test_zero_scale_on_a_residual_branch_is_info(self):
        inputs = keras.Input((8,))
        h = keras.layers.Dense(8, "relu", name="dense")(inputs)
        h = keras.layers.BatchNormalization(
            gamma_initializer="zeros", name="bn"
        )(h)
        outputs = keras.layers.Add()([inputs, h])
        model = keras.Model(inputs, outputs)
        self.assertIn(
            ("bn/gamma", "zero_scale", "info"), _checks(doctor.examine(model))
        )

    def test_non_finite_and_unknown_weights(self):
        model = keras.Sequential(
            [keras.Input((4,)), keras.layers.PReLU(name="prelu")]
        )
        report = doctor.examine(model)
        self.assertEqual(
            [(s.path, s.reason) for s in report.skipped],
            [("prelu/alpha", "no rule for PReLU weight 'alpha'")],
        )
        self.assertIn("skipped 1 (1: no rule for PReLU", report.summary())
        model.get_layer("prelu").alpha.assign(np.full((4,), np.nan))
        self.assertIn(
            ("prelu/alpha", "non_finite", "error"),
            _checks(doctor.examine(model)),
        )

    def test_fix_names_the_registry_and_works(self):
        report = doctor.examine(text_rnn(recurrent="zeros"))
        fixes = {f.path: f.fix for f in report.findings}
        fix = fixes["lstm/lstm_cell/recurrent_kernel"]
        self.assertEqual(
            fix,
            'recurrent_initializer=keras_initstudy.get("orthogonal", seed=0)',
        )
        import keras_initstudy

        argument = eval(  # The fix is code: it must run as written.
            fix.split("=", 1)[1], {"keras_initstudy": keras_initstudy}
        )
        layer = keras.layers.LSTM(16, recurrent_initializer=argument)
        layer.build((None, 12, 16))
        fixed = keras.Sequential([keras.Input((12, 16)), layer])
        self.assertEmpty(_errors(doctor.examine(fixed)))


class SignalsTest(tf.test.TestCase):
    def test_synthetic_token_batch(self):
        model = transformer()
        x, y, batch = doctor.synthetic_batch(model, 8)
        self.assertEqual(x.shape, (8, 10))
        self.assertLess(x.max(), 50)
        self.assertIn("token ids below 50", batch)
        report = doctor.examine(model, x, y, batch=batch)
        self.assertEqual(report.batch, batch)
        self.assertIn("ffn_1", report.signals["layers"])
        self.assertIn(report.signals["verdict"], ("stable", "exploding"))

    def test_signals_do_not_change_the_model(self):
        model = cnn()
        before = [v.numpy() for v in model.weights]
        x, y, batch = doctor.synthetic_batch(model, 8)
        doctor.examine(model, x, y, batch)
        for value, variable in zip(before, model.weights, strict=True):
            self.assertAllEqual(value, variable.numpy())

    def test_zero_mlp_gets_no_gradient(self):
        model = models.mlp((16,), kernel_initializer="zeros", seed=0)
        x, y, batch = doctor.synthetic_batch(model, 8)
        report = doctor.examine(model, x, y, batch)
        self.assertEqual(report.signals["layers"], ["hidden_1"])
        self.assertIn(("hidden_1", "no_gradient", "error"), _checks(report))

    def test_subclassed_model_says_why_no_signals(self):
        model = subclassed()
        report = doctor.examine(model, np.zeros((4, 6), np.float32))
        self.assertIsNone(report.signals)
        self.assertIn("subclassed", report.signals_skipped)
        self.assertIn("signals not measured", doctor.format_table(report))


class InitDoctorTest(tf.test.TestCase):
    def _fit(self, model, guard):
        steps = []
        counter = keras.callbacks.LambdaCallback(
            on_train_batch_begin=lambda batch, logs: steps.append(batch)
        )
        model.compile(
            "sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True)
        )
        x = np.random.default_rng(0).random((40, 20), dtype=np.float32)
        y = np.arange(40) % 10
        model.fit(x, y, batch_size=10, verbose=0, callbacks=[guard, counter])
        return steps

    def test_raise_stops_fit_before_any_step(self):
        steps = []
        with self.assertRaisesRegex(
            doctor.InitializationError, "hidden_1/kernel"
        ):
            steps = self._fit(mlp("zeros"), callbacks.InitDoctor())
        self.assertEmpty(steps)

    def test_warn_lets_fit_run(self):
        guard = callbacks.InitDoctor(on_error="warn")
        with self.assertWarnsRegex(UserWarning, "zero_kernel"):
            steps = self._fit(mlp("zeros"), guard)
        self.assertLen(steps, 4)
        self.assertTrue(guard.report.has(doctor.ERROR))

    def test_healthy_model_trains(self):
        self.assertLen(self._fit(mlp(), callbacks.InitDoctor()), 4)

    def test_rejects_bad_on_error(self):
        with self.assertRaisesRegex(ValueError, "on_error='ignore'"):
            callbacks.InitDoctor(on_error="ignore")


class VerdictAgreesWithTrainingTest(tf.test.TestCase):
    """MLP family on real MNIST, 100 iterations: errors fail, clean train."""

    def test_errors_end_near_chance_and_clean_models_train(self):
        dataset = testutil.mnist()
        cases = {
            "zeros": classifier.ClassifierConfig(init="zeros"),
            "constant": classifier.ClassifierConfig(
                init="constant", init_value=0.05
            ),
            "ones_tanh": classifier.ClassifierConfig(
                init="ones", activation="tanh"
            ),
            "he_relu": classifier.ClassifierConfig(init="he_normal"),
            "xavier_tanh": classifier.ClassifierConfig(
                init="xavier_normal", activation="tanh"
            ),
        }
        for name, config in cases.items():
            report = doctor.examine(
                classifier.build_model(config),
                dataset.x_test[:256],
                dataset.y_test[:256],
            )
            record = classifier.run_classifier(config, dataset)
            accuracy = record["test_accuracy"]
            if report.has(doctor.ERROR):
                self.assertLessEqual(accuracy, 0.2, name)
            else:
                self.assertFalse(report.has(doctor.WARNING), name)
                self.assertGreaterEqual(accuracy, 0.8, name)
            self.assertEqual(
                report.has(doctor.ERROR),
                name in ("zeros", "constant", "ones_tanh"),
                name,
            )


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
        # The zero kernel, and the signal path it loses (issue 17).
        self.assertEqual(report["counts"]["error"], 2)
        self.assertEqual(report["findings"][0]["check"], "zero_kernel")
        self.assertEqual(report["paths"][0]["severity"], "error")
        self.assertEqual(report["paths"][0]["causes"], ["hidden_1"])
        self.assertIn("hidden_1/kernel", proc.stdout)
        self.assertIn("examined 4 weights in 2 layers", proc.stdout)

    def test_recurrent_model_json_with_synthetic_batch(self):
        tmp = self.create_tempdir().full_path
        path = os.path.join(tmp, "text.keras")
        text_rnn(embeddings="zeros", recurrent="zeros").save(path)
        proc = self._run(
            f"--model={path}",
            f"--output_dir={tmp}",
            "--dataset=synthetic",
            "--batch_size=4",
            "--json",
            "--fail_on=warning",
        )
        self.assertEqual(proc.returncode, 1, proc.stderr[-2000:])
        report = json.loads(proc.stdout)
        paths = [f["path"] for f in report["findings"]]
        self.assertIn("lstm/lstm_cell/recurrent_kernel", paths)
        self.assertIn("token ids below 100", report["batch"])
        self.assertEqual(report["signals"]["layers"], ["lstm", "gru"])

    def test_clean_model_exits_zero(self):
        tmp = self.create_tempdir().full_path
        proc = self._run(
            "--init=he_normal", f"--output_dir={tmp}", "--fail_on=warning"
        )
        self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
        self.assertIn("no findings", proc.stdout)

    def test_bad_model_file_is_one_line_error(self):
        tmp = self.create_tempdir()
        bad = tmp.create_file("bad.keras", content="not a zip").full_path
        proc = self._run(f"--model={bad}", f"--output_dir={tmp.full_path}")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("Cannot load", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)

    def test_batch_without_x_is_one_line_error(self):
        tmp = self.create_tempdir().full_path
        batch = os.path.join(tmp, "batch.npz")
        np.savez(batch, images=np.zeros((2, 28, 28)))
        proc = self._run(f"--batch={batch}", f"--output_dir={tmp}")
        self.assertEqual(proc.returncode, 2)
        self.assertIn("has no array `x`", proc.stderr)
        self.assertNotIn("Traceback", proc.stderr)
        self.assertFalse(os.path.exists(os.path.join(tmp, "doctor.json")))


if __name__ == "__main__":
    tf.test.main()
