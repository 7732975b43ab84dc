"""Initializers across processes and devices, checked in fresh subprocesses.

- A model built with every registered initializer saves to `.keras` and a
  fresh process (that only imports keras_initstudy) loads it with identical
  weights and our initializer classes; int seeds give the same values there.
- Under `tf.distribute.MirroredStrategy` with the CPU split into 2 logical
  devices, every replica holds identical initial weights, equal to those of
  the same model built without a strategy. Logical devices must be set
  before TensorFlow initializes, hence a subprocess.
"""

import inspect
import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import tensorflow as tf

from keras_initstudy import initializers
from tests import testutil

# Registry names whose layer is a convolution (the rest get Dense layers).
CONV_ONLY = ("dirac",)
SEEDED_SHAPE = (50, 40)


def build_model(seed=0):
    """One branch per registered initializer over the same input.

    Random initializers are seeded `seed + i`, except that every other one
    is left unseeded (its seed drawn from Python's `random`, which
    `keras.utils.set_random_seed` seeds), to cover both kinds.
    """
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6, 6, 4), name="image")
    flat = keras.layers.Flatten()(inputs)
    outputs = []
    for i, name in enumerate(initializers.names()):
        kwargs = {"value": 0.5} if name == "constant" else {}
        init = initializers.get(
            name, seed=None if i % 2 else seed + i, **kwargs
        )
        if name in CONV_ONLY:
            layer = keras.layers.Conv2D(
                8, 3, padding="same", kernel_initializer=init, name=name
            )
            outputs.append(keras.layers.Flatten()(layer(inputs)))
        else:
            layer = keras.layers.Dense(16, kernel_initializer=init, name=name)
            outputs.append(layer(flat))
    zero_conv = keras.layers.Conv2D(
        12,
        3,
        kernel_initializer=initializers.ZeroHadamard(),
        name="zero_hadamard_conv",
    )
    outputs.append(keras.layers.Flatten()(zero_conv(inputs)))
    return keras.Model(inputs, keras.layers.Concatenate()(outputs))


def key(weight):
    """A weight's path as an .npz key."""
    return weight.path.replace("/", ":")


def seeded_values():
    """Values of every random initializer with an int seed."""
    return {
        name: np.asarray(initializers.get(name, seed=42)(SEEDED_SHAPE))
        for name, cls in initializers.REGISTRY.items()
        if "seed" in inspect.signature(cls).parameters
    }


_LOAD_SCRIPT = """
import json, sys
import keras
import numpy as np
import keras_initstudy
from tests import initializers_multiprocess_test as m

model = keras.saving.load_model(sys.argv[1])
np.savez(sys.argv[2], *[np.asarray(w) for w in model.weights])
np.savez(sys.argv[3], **m.seeded_values())
print(json.dumps({
    layer.name: type(layer.kernel_initializer).__module__
    + "." + type(layer.kernel_initializer).__name__
    for layer in model.layers if hasattr(layer, "kernel_initializer")
}))
"""

_MIRRORED_SCRIPT = """
import json, sys
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(
    cpu, [tf.config.LogicalDeviceConfiguration()] * 2
)
import numpy as np
from tests import initializers_multiprocess_test as m

strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
with strategy.scope():
    model = m.build_model(seed=3)
replicas = {}
for weight in model.weights:
    local = strategy.experimental_local_results(weight.value)
    for r, value in enumerate(local):
        replicas[f"{m.key(weight)}@{r}"] = np.asarray(value)
reference = m.build_model(seed=3)
np.savez(sys.argv[1], **replicas)
np.savez(sys.argv[2], **{m.key(w): np.asarray(w) for w in reference.weights})
print(json.dumps({"replicas": strategy.num_replicas_in_sync}))
"""


def _run(script, *args):
    env = dict(os.environ, PYTHONPATH=testutil.REPO_ROOT)
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        cwd=testutil.REPO_ROOT,
        env=env,
        timeout=300,
    )
    if result.returncode:
        raise AssertionError(f"subprocess failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


class FreshProcessTest(tf.test.TestCase):
    def test_saved_model_loads_with_identical_weights(self):
        tmp = self.create_tempdir().full_path
        model = build_model(seed=5)
        path = os.path.join(tmp, "every_initializer.keras")
        model.save(path)
        loaded = os.path.join(tmp, "loaded.npz")
        seeded = os.path.join(tmp, "seeded.npz")
        classes = _run(_LOAD_SCRIPT, path, loaded, seeded)

        with np.load(loaded) as weights:
            self.assertLen(weights.files, len(model.weights))
            for i, weight in enumerate(model.weights):
                self.assertAllEqual(weights[f"arr_{i}"], weight, weight.path)
        for name, cls in initializers.REGISTRY.items():
            self.assertEqual(classes[name], f"{cls.__module__}.{cls.__name__}")
        with np.load(seeded) as other_process:
            here = seeded_values()
            self.assertCountEqual(other_process.files, here)
            for name, values in here.items():
                self.assertAllEqual(other_process[name], values, name)

    def test_mirrored_replicas_hold_identical_weights(self):
        tmp = self.create_tempdir().full_path
        replicas_path = os.path.join(tmp, "replicas.npz")
        reference_path = os.path.join(tmp, "reference.npz")
        info = _run(_MIRRORED_SCRIPT, replicas_path, reference_path)
        self.assertEqual(info["replicas"], 2)
        with (
            np.load(replicas_path) as replicas,
            np.load(reference_path) as reference,
        ):
            self.assertLen(reference.files, len(build_model().weights))
            for name in reference.files:
                first, second = replicas[f"{name}@0"], replicas[f"{name}@1"]
                self.assertAllEqual(first, second, name)
                self.assertAllEqual(first, reference[name], name)
            # The check has teeth: seeded and unseeded kernels are random
            # and differ from one another.
            self.assertNotAllClose(
                reference["he_normal:kernel"], reference["he_uniform:kernel"]
            )
            self.assertNotAllClose(
                reference["xavier_normal:kernel"],
                reference["lecun_normal:kernel"],
            )


if __name__ == "__main__":
    tf.test.main()
