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
import shutil
import subprocess
import sys
import tempfile
import textwrap

import numpy as np
import tensorflow as tf
from packaging import requirements
from packaging import utils
from packaging import version

from tests import testutil

_INSTALL_TIMEOUT = 1800


def _requirements(text):
    """The requirements of a setup.cfg requirement list."""
    return [
        requirements.Requirement(line)
        for line in (raw.split("#")[0].strip() for raw in text.splitlines())
        if line
    ]


def _setup_cfg():
    config = configparser.ConfigParser()
    config.read(os.path.join(testutil.REPO_ROOT, "setup.cfg"))
    return config


def _locked_versions():
    """Maps each canonical distribution name to its requirements.lock pin."""
    with open(os.path.join(testutil.REPO_ROOT, "requirements.lock")) as f:
        pins = [requirements.Requirement(s) for s in f.read().split()]
    return {
        utils.canonicalize_name(pin.name): str(pin.specifier).removeprefix("==")
        for pin in pins
    }


def _copy_checkout(destination):
    """Copies the repo without what .gitignore keeps out of a clone."""
    with open(os.path.join(testutil.REPO_ROOT, ".gitignore")) as f:
        patterns = [
            line.strip().rstrip("/")
            for line in f
            if line.strip() and not line.startswith("#")
        ]
    # A pattern that starts with "/" matches at the top of the repo only.
    anywhere = shutil.ignore_patterns(
        ".git", *(p for p in patterns if not p.startswith("/"))
    )
    top = shutil.ignore_patterns(
        *(p.lstrip("/") for p in patterns if p.startswith("/"))
    )

    def ignore(directory, names):
        ignored = anywhere(directory, names)
        if os.path.samefile(directory, testutil.REPO_ROOT):
            ignored |= top(directory, names)
        return ignored

    shutil.copytree(testutil.REPO_ROOT, destination, ignore=ignore)


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


def _next_major(version):
    """The first release that may break `version`'s API: 2.21.0 -> 3, 0.17.6
    -> 0.18 (before 1.0, each minor release is a major one)."""
    release = version.release
    if release[0] == 0:
        return f"0.{release[1] + 1}"
    return str(release[0] + 1)


class DependencyRangesTest(tf.test.TestCase):
    """setup.cfg asks for ranges; requirements.lock pins what is tested."""

    def test_every_range_runs_from_the_locked_version_to_the_next_major(self):
        setup = _setup_cfg()
        texts = [setup["options"]["install_requires"]]
        texts += [text for _, text in setup["options.extras_require"].items()]
        locked = _locked_versions()
        found = [r for text in texts for r in _requirements(text)]
        self.assertContainsSubset(
            {"tensorflow", "ray", "pytest"}, {r.name for r in found}
        )
        for requirement in found:
            name = utils.canonicalize_name(requirement.name)
            self.assertIn(name, locked, "not in requirements.lock")
            pinned = version.Version(locked[name])
            self.assertEqual(
                {(s.operator, s.version) for s in requirement.specifier},
                {(">=", str(pinned)), ("<", _next_major(pinned))},
                msg=str(requirement),
            )

    def test_next_major(self):
        for pinned, expected in (
            ("2.21.0", "3"),
            ("6.170.17", "7"),
            ("0.17.6", "0.18"),
        ):
            self.assertEqual(_next_major(version.Version(pinned)), expected)


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
        # --no-compile: byte-compiling TensorFlow's thousands of modules
        # costs a minute of CPU and is not what is tested; Python compiles
        # what the tests import.
        cls._run_checked(
            [cls.python, "-m", "pip", "install", "--quiet", "--no-compile"]
            + ["-c", lock, os.path.join(dist, wheel)]
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

    def test_installs_the_locked_core_dependencies_and_no_extras(self):
        setup = _setup_cfg()
        core = _requirements(setup["options"]["install_requires"])
        extras = [
            requirement.name
            for _, text in setup["options.extras_require"].items()
            for requirement in _requirements(text)
        ]
        self.assertContainsSubset(
            {"matplotlib", "plotly", "tensorboard"}, {r.name for r in core}
        )
        self.assertNotEmpty(extras)
        result = self._python(
            "-c",
            _DISTRIBUTIONS_SCRIPT,
            *(r.name for r in core),
            *extras,
            "keras_initstudy",
        )
        versions = json.loads(result.stdout)
        locked = _locked_versions()
        for requirement in core:
            name = requirement.name
            self.assertEqual(
                versions[name], locked[utils.canonicalize_name(name)], name
            )
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
        self.assertIn(f"repaired 2 weight(s), saved to {fixed}", proc.stdout)
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
