"""Every training binary speaks the same shared flags, Fashion-MNIST included.

`python -m experiments.NAME --helpfull` lists the flags of
experiments/flags_core.py under their own heading; the shared ones must be
there, spelled and documented alike, in every training binary. Then every
binary that reads a dataset runs on Fashion-MNIST with `--dataset`.
"""

import json
import os
import re

import tensorflow as tf
from absl.testing import parameterized

from keras_initstudy.study import data
from tests import testutil

_EVERY = {"seed", "output_dir", "logdir"}
_READS_DATA = {"dataset", "data_dir"}
_DRAWS = {"figure"}
_SHARED = _EVERY | _READS_DATA | _DRAWS
# The toy net trains on one example (--x) and draws no figure.
_EXPECTED = {
    "mnist": _SHARED,
    "sweep": _SHARED,
    "depth": _SHARED,
    "deep_relu": _SHARED,
    "regression": _SHARED,
    "toy": _EVERY,
    "propagation": _SHARED,
    "trainability": _SHARED,
}
_SECTION = "experiments.flags_core:"
_FLAG_LINE = re.compile(r"^  (?:-\w,)?--(?:\[no\])?(\w+):")

# Tiny runs on a small random dataset: the point is which dataset is read.
_FASHION_RUNS = {
    "mnist": ["--iterations=2", "--batch_size=10"],
    "sweep": [
        "--init=zeros",
        "--activation=relu",
        "--iterations=2",
        "--batch_size=10",
    ],
    "depth": [
        "--depth=2",
        "--width=8",
        "--init=he_normal",
        "--activation=relu",
        "--batch_size=10",
    ],
    "deep_relu": [
        "--depth=2",
        "--width=8",
        "--iterations=2",
        "--batch_size=10",
    ],
    "regression": ["--iterations=2", "--batch_size=10", "--linear_steps=2"],
    "propagation": ["--depth=2", "--width=8", "--batch_size=10"],
    "trainability": [
        "--activation=tanh",
        "--sigma_w2=1",
        "--depths=2",
        "--width=8",
        "--iterations=2",
        "--batch_size=10",
    ],
}


def shared_flags(helpfull):
    """Maps each flag under the flags_core heading to its help block."""
    blocks, name, inside = {}, None, False
    for line in helpfull.splitlines():
        if not line.startswith(" "):
            inside = line.strip() == _SECTION
            continue
        match = _FLAG_LINE.match(line)
        if inside and match:
            name = match.group(1)
            blocks[name] = [line]
        elif inside and name:
            blocks[name].append(line)
    return {k: "\n".join(v) for k, v in blocks.items()}


class SharedFlagsTest(tf.test.TestCase, parameterized.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        procs = testutil.run_modules(
            [(f"experiments.{b}", ["--helpfull"]) for b in _EXPECTED]
        )
        cls.helpfull = dict(zip(_EXPECTED, procs, strict=True))

    def test_parser_reads_the_section(self):
        text = "\n".join(
            [
                "experiments.mnist:",
                "  --init: Kernel.",
                "experiments.flags_core:",
                "  --[no]figure: Draw.",
                "    (default: 'true')",
                "  --seed: Seeds.",
                "absl.app:",
                "  -?,--[no]help: show this help",
            ]
        )
        self.assertEqual(
            shared_flags(text),
            {
                "figure": "  --[no]figure: Draw.\n    (default: 'true')",
                "seed": "  --seed: Seeds.",
            },
        )

    @parameterized.named_parameters((b, b) for b in _EXPECTED)
    def test_binary_lists_its_shared_flags(self, binary):
        proc = self.helpfull[binary]
        self.assertIn(_SECTION, proc.stdout, proc.stderr[-2000:])
        flags_here = shared_flags(proc.stdout)
        self.assertEqual(set(flags_here) & _SHARED, _EXPECTED[binary])
        self.assertIn(f"(default: 'runs/{binary}')", flags_here["output_dir"])

    def test_shared_flags_read_alike_everywhere(self):
        blocks = {
            b: shared_flags(proc.stdout) for b, proc in self.helpfull.items()
        }
        for name in _SHARED:
            texts = {
                # Only the default output folder is the binary's own.
                re.sub(r"runs/\w+", "runs/NAME", found[name])
                for found in blocks.values()
                if name in found
            }
            self.assertLen(texts, 1, msg=f"--{name} differs: {texts}")


class FashionMnistTest(tf.test.TestCase):
    def test_every_binary_reads_the_dataset_it_is_given(self):
        root = self.create_tempdir().full_path
        fashion = os.path.join(root, "fashion_mnist")
        testutil.write_idx_folder(fashion, n_train=1000, n_test=50)
        # An MNIST folder that fails to load: reading it by mistake is an
        # error, even on a machine that could download MNIST.
        broken = os.path.join(root, "mnist")
        os.makedirs(broken)
        with open(os.path.join(broken, "train-images-idx3-ubyte"), "w"):
            pass

        env = {data.ENV_VAR: root}
        outs = {b: os.path.join(root, "out", b) for b in _FASHION_RUNS}
        commands = [
            (
                f"experiments.{binary}",
                [
                    "--dataset=fashion_mnist",
                    "--nofigure",
                    f"--output_dir={outs[binary]}",
                    *args,
                ],
                env,
            )
            for binary, args in _FASHION_RUNS.items()
        ]
        # The default is still MNIST, which here fails in one line.
        default = os.path.join(root, "out", "default")
        commands.append(("experiments.mnist", [f"--output_dir={default}"], env))
        *procs, default_proc = testutil.run_modules(commands)
        for (binary, out), proc in zip(outs.items(), procs, strict=True):
            with self.subTest(binary):
                self.assertEqual(proc.returncode, 0, proc.stderr[-2000:])
                # --nofigure: the record only.
                self.assertEqual(os.listdir(out), ["metrics.json"])
                with open(os.path.join(out, "metrics.json")) as f:
                    metrics = json.load(f)
                self.assertEqual(metrics["config"]["dataset"], "fashion_mnist")
                if "data_source" in metrics:
                    self.assertEqual(metrics["data_source"], fashion)
        self.assertEqual(
            default_proc.returncode, 2, default_proc.stderr[-2000:]
        )
        self.assertIn(broken, default_proc.stderr)


if __name__ == "__main__":
    tf.test.main()
