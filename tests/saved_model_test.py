"""Every initializer draws the values the code before the package split drew.

`fixtures/initializers_v1.keras` is a model saved by that code: a Dense layer
`dense_<registry name>` for every registered initializer (int seeds) and a
Conv2D `conv_dirac`. Its kernels were drawn by the old code, so a kernel that
the deserialized initializer draws again, bit for bit, proves the values (and
with them the study's published numbers) did not change; the configs it
saved prove the serialized names and arguments did not either.
"""

import json
import os
import zipfile

import keras
import numpy as np
import tensorflow as tf
from absl.testing import parameterized

import keras_initstudy
from keras_initstudy import initializers

FIXTURE = os.path.join(
    os.path.dirname(__file__), "fixtures", "initializers_v1.keras"
)


def _layer_name(name):
    return "conv_dirac" if name == "dirac" else f"dense_{name}"


def _saved_initializers():
    """Layer name -> the kernel initializer's serialized form, as saved."""
    with zipfile.ZipFile(FIXTURE) as archive:
        config = json.loads(archive.read("config.json"))
    return {
        layer["config"]["name"]: layer["config"]["kernel_initializer"]
        for layer in config["config"]["layers"]
        if "kernel_initializer" in layer["config"]
    }


class SavedModelTest(tf.test.TestCase, parameterized.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.model = keras.saving.load_model(FIXTURE)
        cls.saved = _saved_initializers()

    def test_fixture_covers_every_registered_initializer(self):
        self.assertCountEqual(
            self.saved, [_layer_name(n) for n in keras_initstudy.names()]
        )

    @parameterized.named_parameters((n, n) for n in initializers.names())
    def test_loads_as_our_class_and_redraws_the_saved_kernel(self, name):
        layer = self.model.get_layer(_layer_name(name))
        init = layer.kernel_initializer
        cls = initializers.REGISTRY[name]
        self.assertIs(type(init), cls)
        serialized = keras.initializers.serialize(init)
        saved = self.saved[layer.name]
        self.assertEqual(
            serialized["registered_name"], f"keras_initstudy>{cls.__name__}"
        )
        self.assertEqual(
            serialized["registered_name"], saved["registered_name"]
        )
        self.assertEqual(serialized["config"], saved["config"])
        kernel = np.asarray(layer.kernel)
        redrawn = np.asarray(init(kernel.shape, kernel.dtype))
        self.assertEqual(redrawn.dtype, kernel.dtype)
        self.assertTrue(np.array_equal(redrawn, kernel), name)


if __name__ == "__main__":
    tf.test.main()
