"""A plain install works: the wheel, in a fresh virtual environment.

Builds the wheel from a copy of the checkout (what git would clone), creates
a new venv, installs the wheel with the pinned dependency set and no extras,
and then, in that venv and outside the checkout: imports the package, saves
and reloads a model built with its initializers, runs the doctor's console
script `keras-initstudy-doctor` on a saved model (exit codes, `--fix`), and
runs the README's first command, `python -m experiments.mnist --init=zeros`,
from a copy of experiments/ (the study's binaries run from the checkout; the
wheel is the library and the doctor).

The venv is real, not borrowed from the running one, so a dependency that
setup.cfg forgets fails here. Installing TensorFlow into it takes a couple
of minutes, so the class builds it once for all its tests.
"""

import configparser
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap

import numpy as np
import tensorflow as tf

from tests import testutil

_INSTALL_TIMEOUT = 1800


def _requirement_names(text):
    """Distribution names of a setup.cfg requirement list."""
    names = []
    for line in text.splitlines():
        line = line.split("#")[0].strip()
        if line:
            names.append(re.split(r"[\[<>=!~;\s]", line, maxsplit=1)[0])
    return names


def _setup_cfg():
    config = configparser.ConfigParser()
    config.read(os.path.join(testutil.REPO_ROOT, "setup.cfg"))
    return config


def _copy_checkout(destination):
    """Copies the repo without what .gitignore keeps out of a clone."""
    with open(os.path.join(testutil.REPO_ROOT, ".gitignore")) as f:
        ignored = [
            line.strip().rstrip("/")
            for line in f
            if line.strip() and not line.startswith("#")
        ]
    shutil.copytree(
        testutil.REPO_ROOT,
        destination,
        ignore=shutil.ignore_patterns(".git", *ignored),
    )


_SAVE_SCRIPT = """
import sys
import keras
import numpy as np
import keras_initstudy

keras.utils.set_random_seed(0)
inputs = keras.Input((12,))
x = inputs
for i, (name, kwargs) in enumerate([
    ("he_normal", {"seed": 1}),
    ("xavier_uniform", {"seed": 2}),
    ("orthogonal", {"seed": 3}),
    ("zero_hadamard", {}),
    ("constant", {"value": 0.25}),
]):
    init = keras_initstudy.get(name, **kwargs)
    x = keras.layers.Dense(8, kernel_initializer=init, name=name)(x)
model = keras.Model(inputs, x)
model.save(sys.argv[1])
np.savez(sys.argv[2], *[np.asarray(w) for w in model.weights])
"""

_LOAD_SCRIPT = """
import json, sys
import keras
import numpy as np
import keras_initstudy

model = keras.saving.load_model(sys.argv[1])
np.savez(sys.argv[2], *[np.asarray(w) for w in model.weights])
print(json.dumps({
    "package": keras_initstudy.__file__,
    "initializers": {
        layer.name: type(layer.kernel_initializer).__module__
        for layer in model.layers
        if hasattr(layer, "kernel_initializer")
    },
}))
"""

_DISTRIBUTIONS_SCRIPT = """
import json, sys
from importlib import metadata

versions = {}
for name in sys.argv[1:]:
    try:
        versions[name] = metadata.version(name)
    except metadata.PackageNotFoundError:
        versions[name] = None
print(json.dumps(versions))
"""


_SAVE_ZERO_MLP = """
import sys
from keras_initstudy.study import models

models.mlp((8,), kernel_initializer="zeros", seed=0).save(sys.argv[1])
"""

_LOAD_REPAIRED = """
import json, sys
import keras
import numpy as np
import keras_initstudy

model = keras.saving.load_model(sys.argv[1], compile=False)
print(json.dumps(float(np.std(model.get_layer("hidden_1").kernel))))
"""


class PlainInstallTest(tf.test.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.root = tempfile.mkdtemp(prefix="keras_initstudy_install_")
        # Nothing of the checkout or of the running venv may leak in.
        cls.env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        source = os.path.join(cls.root, "source")
        _copy_checkout(source)
        dist = os.path.join(cls.root, "dist")
        cls._run_checked(
            [sys.executable, "-m", "pip", "wheel", "--no-deps"]
            + ["--wheel-dir", dist, source]
        )
        (wheel,) = os.listdir(dist)
        cls.venv = os.path.join(cls.root, "venv")
        cls.python = os.path.join(cls.venv, "bin", "python")
        cls._run_checked([sys.executable, "-m", "venv", cls.venv])
        lock = os.path.join(testutil.REPO_ROOT, "requirements.lock")
        cls._run_checked(
            [cls.python, "-m", "pip", "install", "--quiet", "-c", lock]
            + [os.path.join(dist, wheel)]
        )
        # A folder outside the checkout: only what the wheel installed is
        # importable from it.
        cls.outside = os.path.join(cls.root, "outside")
        os.makedirs(cls.outside)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.root, ignore_errors=True)
        super().tearDownClass()

    @classmethod
    def _run_checked(cls, command, cwd=None):
        result = subprocess.run(
            command,
            cwd=cwd or cls.root,
            env=cls.env,
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT,
        )
        if result.returncode:
            raise AssertionError(
                f"{' '.join(command)} exited {result.returncode}:\n"
                f"{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def _python(self, *args, cwd=None, env=None):
        result = subprocess.run(
            [self.python, *args],
            cwd=cwd or self.outside,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.assertEqual(result.returncode, 0, msg=result.stderr[-3000:])
        self.assertNotIn("Traceback", result.stderr)
        return result

    def _doctor(self, *args):
        """Runs the installed console script from outside the checkout."""
        return subprocess.run(
            [os.path.join(self.venv, "bin", "keras-initstudy-doctor"), *args],
            cwd=self.outside,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    def test_installs_the_core_dependencies_and_no_extras(self):
        setup = _setup_cfg()
        core = _requirement_names(setup["options"]["install_requires"])
        extras = [
            name
            for _, requirements in setup["options.extras_require"].items()
            for name in _requirement_names(requirements)
        ]
        self.assertContainsSubset({"matplotlib", "plotly", "tensorboard"}, core)
        self.assertNotEmpty(extras)
        result = self._python(
            "-c", _DISTRIBUTIONS_SCRIPT, *core, *extras, "keras_initstudy"
        )
        versions = json.loads(result.stdout)
        for line in setup["options"]["install_requires"].splitlines():
            line = line.split("#")[0].strip()
            if line:
                name, pinned = line.split("==")
                self.assertEqual(versions[name], pinned, name)
        for name in extras:
            self.assertIsNone(versions[name], f"extra {name} was installed")
        self.assertIsNotNone(versions["keras_initstudy"])
        self.assertIn(
            "No broken requirements", self._python("-m", "pip", "check").stdout
        )

    def test_model_with_its_initializers_saves_and_reloads(self):
        model_path = os.path.join(self.outside, "model.keras")
        saved = os.path.join(self.outside, "saved.npz")
        loaded = os.path.join(self.outside, "loaded.npz")
        self._python("-c", textwrap.dedent(_SAVE_SCRIPT), model_path, saved)
        # A fresh process: the initializers must come back from the file.
        result = self._python(
            "-c", textwrap.dedent(_LOAD_SCRIPT), model_path, loaded
        )
        info = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertStartsWith(info["package"], self.venv)
        self.assertLen(info["initializers"], 5)
        for layer, module in info["initializers"].items():
            self.assertStartsWith(
                module, "keras_initstudy.initializers.", layer
            )
        with np.load(saved) as before, np.load(loaded) as after:
            self.assertNotEmpty(before.files)
            self.assertCountEqual(after.files, before.files)
            for name in before.files:
                self.assertAllEqual(after[name], before[name], name)

    def test_doctor_console_script_examines_and_fixes_a_saved_model(self):
        root = os.path.join(self.root, "doctor")
        model = os.path.join(root, "zero.keras")
        fixed = os.path.join(root, "fixed.keras")
        os.makedirs(root)
        self._python("-c", textwrap.dedent(_SAVE_ZERO_MLP), model)
        out = f"--output_dir={os.path.join(root, 'out')}"
        # The zero hidden kernel is an error.
        proc = self._doctor(model, out, "--fail_on=error")
        self.assertEqual(proc.returncode, 1, proc.stderr[-3000:])
        self.assertIn("zero_kernel", proc.stdout)
        # Repaired, saved, examined again: no error left.
        proc = self._doctor(model, out, "--fail_on=error", f"--fix={fixed}")
        self.assertEqual(proc.returncode, 0, proc.stderr[-3000:])
        self.assertIn(f"repaired 1 weight(s), saved to {fixed}", proc.stdout)
        result = self._python("-c", textwrap.dedent(_LOAD_REPAIRED), fixed)
        self.assertGreater(json.loads(result.stdout.splitlines()[-1]), 0)
        # The help is the doctor's (absl exits 1 after --help).
        proc = self._doctor("--help")
        self.assertIn("repairs it", proc.stdout)
        self.assertIn("--fix:", proc.stdout)
        # Bad input: one line, exit 2.
        proc = self._doctor(os.path.join(root, "missing.keras"), out)
        self.assertEqual(proc.returncode, 2, proc.stderr[-3000:])
        self.assertNotIn("Traceback", proc.stderr)
        self.assertIn("error: No model file at", proc.stderr)

    def test_mnist_zero_init_writes_record_and_figure(self):
        checkout = os.path.join(self.root, "binaries")
        shutil.copytree(
            os.path.join(testutil.REPO_ROOT, "experiments"),
            os.path.join(checkout, "experiments"),
            ignore=shutil.ignore_patterns("__pycache__"),
        )
        output_dir = os.path.join(self.root, "mnist_zeros")
        self._python(
            "-m",
            "experiments.mnist",
            "--init=zeros",
            f"--output_dir={output_dir}",
            cwd=checkout,
        )
        with open(os.path.join(output_dir, "metrics.json")) as f:
            metrics = json.load(f)
        self.assertEqual(metrics["status"], "ok")
        prior = metrics["prior"]
        self.assertTrue(prior["predicts_single_class"])
        self.assertEqual(
            metrics["test_accuracy"],
            prior["predicted_class_test_count"] / prior["test_size"],
        )
        testutil.assert_png(self, os.path.join(output_dir, "loss.png"))


if __name__ == "__main__":
    tf.test.main()
