"""Tests for keras_initstudy.initializers.lsuv on real MNIST batches."""

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.initializers import lsuv as lsuv_lib
from tests import testutil


def _batch(size=256):
    return testutil.mnist().x_train[:size]


def _mlp():
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(64, activation="relu", name="d1"),
            keras.layers.Dense(64, activation="tanh", name="d2"),
            keras.layers.Dense(32, activation="sigmoid", name="d3"),
            keras.layers.Dense(10, name="logits"),
        ]
    )


def _cnn():
    # Activations are separate layers, so each kernel layer's own output is
    # the preactivation LSUV normalizes: an independent way to read it.
    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(8, 3, name="c1", bias_initializer="ones")(inputs)
    x = keras.layers.Activation("relu")(x)
    x = keras.layers.Conv2D(8, 3, strides=2, name="c2")(x)
    x = keras.layers.Activation("tanh")(x)
    x = keras.layers.Flatten()(x)
    outputs = keras.layers.Dense(10, name="logits")(x)
    return keras.Model(inputs, outputs)


class LsuvTest(tf.test.TestCase, parameterized.TestCase):
    def test_mlp_preactivations_have_unit_variance(self):
        model = _mlp()
        batch = _batch()
        tol = 0.1
        log = lsuv_lib.lsuv(model, batch, tol=tol)
        self.assertEqual(
            [e["layer"] for e in log], ["d1", "d2", "d3", "logits"]
        )
        # Recompute every preactivation by hand, in NumPy.
        x = batch.reshape(len(batch), -1).astype(np.float64)
        for layer, entry in zip(model.layers[1:], log, strict=True):
            kernel = np.asarray(layer.kernel, np.float64)
            pre = x @ kernel + np.asarray(layer.bias, np.float64)
            self.assertAllClose(pre.var(), 1.0, atol=tol)
            self.assertAllClose(entry["variance"], pre.var(), rtol=1e-4)
            self.assertTrue(entry["converged"])
            self.assertGreaterEqual(entry["iterations"], 1)
            # Rescaling keeps the orthogonal pre-initialization's shape.
            gram = (
                kernel.T @ kernel
                if kernel.shape[0] >= kernel.shape[1]
                else (kernel @ kernel.T)
            )
            self.assertAllClose(gram / gram[0, 0], np.eye(len(gram)), atol=1e-4)
            x = np.asarray(layer.activation(pre.astype(np.float32)), np.float64)

    def test_cnn_layer_outputs_have_unit_variance(self):
        model = _cnn()
        batch = _batch()[..., None]
        log = lsuv_lib.lsuv(model, batch, tol=0.05)
        self.assertEqual([e["layer"] for e in log], ["c1", "c2", "logits"])
        for name in ("c1", "c2", "logits"):
            output = keras.Model(model.input, model.get_layer(name).output)
            variance = float(np.var(np.asarray(output(batch))))
            self.assertAllClose(variance, 1.0, atol=0.05)

    def test_reports_non_convergence(self):
        # With biases that differ between units, dividing the kernel by the
        # output std does not give variance 1 in one step.
        model = _mlp()
        model.get_layer("d1").bias.assign(
            np.random.default_rng(0).normal(0.0, 0.5, 64)
        )
        log = lsuv_lib.lsuv(model, _batch(), tol=1e-3, max_iter=1)
        self.assertEqual(log[0]["iterations"], 1)
        self.assertFalse(log[0]["converged"])
        self.assertGreater(abs(log[0]["variance"] - 1.0), 1e-3)
        log = lsuv_lib.lsuv(model, _batch(), tol=1e-3, max_iter=50)
        self.assertTrue(log[0]["converged"])

    @parameterized.named_parameters(
        ("zero_tol", {"tol": 0}, "tol=0"),
        ("bad_max_iter", {"max_iter": 0}, "max_iter=0"),
    )
    def test_rejects_bad_arguments(self, kwargs, received):
        with self.assertRaisesRegex(ValueError, f"Received: {received}$"):
            lsuv_lib.lsuv(_mlp(), _batch(8), **kwargs)

    def test_rejects_model_without_kernels(self):
        model = keras.Sequential(
            [keras.Input((28, 28)), keras.layers.Flatten()]
        )
        with self.assertRaisesRegex(ValueError, "Received: model="):
            lsuv_lib.lsuv(model, _batch(8))

    def test_layers_initializes_only_those(self):
        model, full = _mlp(), _mlp()
        full.set_weights(model.get_weights())
        kept = {
            layer.name: np.asarray(layer.kernel) for layer in model.layers[1:]
        }
        log = lsuv_lib.lsuv(model, _batch(), layers=[model.get_layer("d2")])
        self.assertEqual([e["layer"] for e in log], ["d2"])
        for name, kernel in kept.items():
            now = np.asarray(model.get_layer(name).kernel)
            self.assertEqual(np.array_equal(now, kernel), name != "d2", name)
        # The same orthogonal draw as when every layer is initialized.
        lsuv_lib.lsuv(full, _batch())
        d2, d2_full = model.get_layer("d2").kernel, full.get_layer("d2").kernel
        self.assertAllClose(
            np.asarray(d2) / np.linalg.norm(d2),
            np.asarray(d2_full) / np.linalg.norm(d2_full),
            atol=1e-6,
        )
        with self.assertRaisesRegex(ValueError, r"Received: layers=\['flatten"):
            lsuv_lib.lsuv(model, _batch(8), layers=[model.layers[0]])

    def test_keep_kernels_only_rescales(self):
        model = _mlp()
        d1 = model.get_layer("d1")
        before = np.asarray(d1.kernel)
        log = lsuv_lib.lsuv(model, _batch(), keep_kernels=[d1])
        after = np.asarray(d1.kernel)
        # The same kernel times one positive factor.
        factor = np.linalg.norm(after) / np.linalg.norm(before)
        self.assertAllClose(after, before * factor, rtol=1e-5, atol=1e-7)
        self.assertAllClose(log[0]["variance"], 1.0, atol=0.1)
        with self.assertRaisesRegex(ValueError, r"keep_kernels=\['d1'\]"):
            lsuv_lib.lsuv(
                model,
                _batch(8),
                layers=[model.get_layer("d2")],
                keep_kernels=[d1],
            )

    def test_target_variance_per_layer(self):
        model = _mlp()
        targets = {"d1": 2.0, "d2": 1.0, "d3": 0.5, "logits": 1.0}
        log = lsuv_lib.lsuv(
            model, _batch(), target=lambda layer: targets[layer.name]
        )
        x = _batch()
        for entry in log:
            layer = model.get_layer(entry["layer"])
            inputs = keras.Model(model.inputs, layer.input)(x)
            variance = float(np.var(lsuv_lib._preactivation(layer, inputs)))
            goal = targets[layer.name]
            self.assertTrue(entry["converged"], entry)
            self.assertAllClose(variance, goal, rtol=0.1)
            self.assertAllClose(entry["variance"], variance, rtol=1e-5)

    def test_rejects_constant_output(self):
        model = _mlp()
        with self.assertRaisesRegex(ValueError, "Received: variance=0.0$"):
            lsuv_lib.lsuv(model, np.zeros((8, 28, 28), "float32"))


if __name__ == "__main__":
    tf.test.main()
