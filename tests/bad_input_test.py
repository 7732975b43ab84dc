"""Every binary refuses bad input in one line: no traceback, no usage dump.

A table of bad inputs across all binaries. Flag syntax and validator errors
are absl's: `FATAL Flags parsing error: ...` plus its hint, exit 1. Runtime
errors (data, output folder, flag combinations the library rejects) are
`error: ...`, exit 2, and leave no metrics.json behind. Either way the
module docstring and the flag list are not printed.

The class runs the whole table when it is set up, in one interpreter that
pays TensorFlow's import once and forks a child per case, each a fresh
`python -m experiments.X` (testutil.run_modules); each case then checks its
own result.
"""

import gzip
import importlib.util
import os
import shutil
import tempfile

import tensorflow as tf
from absl.testing import parameterized

from tests import testutil

FLAG_ERROR = 1  # absl's exit code for a flag that does not parse or validate
RUNTIME_ERROR = 2
_FLAG_PREFIX = "FATAL Flags parsing error: "
_FLAG_HINT = "Pass --helpshort or --helpfull to see help on flags."
_RUNTIME_PREFIX = "error: "

# name, binary, args ({placeholders} from _fixtures), exit code, and a
# fragment the one line must contain.
_CASES = (
    # Unknown names.
    ("mnist_unknown_init", "mnist", ["--init=bogus"], FLAG_ERROR, "he_normal"),
    (
        "mnist_unknown_dataset",
        "mnist",
        ["--dataset=cifar10"],
        FLAG_ERROR,
        "fashion_mnist",
    ),
    (
        "sweep_unknown_init_in_list",
        "sweep",
        ["--init=zeros,bogus"],
        FLAG_ERROR,
        "he_normal",
    ),
    (
        "doctor_unknown_fail_on",
        "doctor",
        ["--fail_on=sometimes"],
        FLAG_ERROR,
        "--fail_on",
    ),
    # Out-of-range numbers.
    (
        "mnist_zero_learning_rate",
        "mnist",
        ["--learning_rate=0"],
        FLAG_ERROR,
        "must be positive",
    ),
    (
        "mnist_zero_width",
        "mnist",
        ["--hidden_units=128,0"],
        FLAG_ERROR,
        "positive integers",
    ),
    (
        "deep_relu_depth_not_a_number",
        "deep_relu",
        ["--sensitivity_depths=5,x"],
        FLAG_ERROR,
        "positive integers",
    ),
    ("toy_two_inputs", "toy", ["--x=1,2"], FLAG_ERROR, "three numbers"),
    # Empty lists and missing required flags.
    (
        "sweep_no_activation",
        "sweep",
        ["--activation="],
        FLAG_ERROR,
        "one or more of relu",
    ),
    ("depth_no_init", "depth", ["--init="], FLAG_ERROR, "one or more of"),
    (
        "compare_no_runs",
        "compare",
        ["--output={out}/loss.png"],
        FLAG_ERROR,
        "--runs",
    ),
    # Conflicting or incomplete flag combinations the library rejects.
    (
        "mnist_constant_without_value",
        "mnist",
        ["--init=constant", "--output_dir={out}"],
        RUNTIME_ERROR,
        "--init_value",
    ),
    (
        "mnist_value_without_constant",
        "mnist",
        ["--init=zeros", "--init_value=0.1", "--output_dir={out}"],
        RUNTIME_ERROR,
        "only applies to the constant initializer",
    ),
    # Missing data.
    (
        "mnist_empty_data_dir",
        "mnist",
        ["--data_dir={empty}", "--output_dir={out}"],
        RUNTIME_ERROR,
        "no train-images IDX file",
    ),
    (
        "depth_missing_data_dir",
        "depth",
        ["--data_dir={missing}", "--output_dir={out}"],
        RUNTIME_ERROR,
        "does not exist",
    ),
    # Corrupt data.
    (
        "sweep_truncated_gzip",
        "sweep",
        ["--data_dir={truncated}", "--output_dir={out}"],
        RUNTIME_ERROR,
        "train-images-idx3-ubyte.gz",
    ),
    (
        "mnist_flipped_gzip_payload",
        "mnist",
        ["--data_dir={flipped}", "--output_dir={out}"],
        RUNTIME_ERROR,
        "train-images-idx3-ubyte.gz: cannot read",
    ),
    (
        "deep_relu_bad_magic",
        "deep_relu",
        ["--data_dir={bad_magic}", "--output_dir={out}"],
        RUNTIME_ERROR,
        "magic number",
    ),
    (
        "regression_label_out_of_range",
        "regression",
        ["--data_dir={bad_labels}", "--output_dir={out}"],
        RUNTIME_ERROR,
        "out of range",
    ),
    # Study runner options that do not go together.
    (
        "sweep_ray_address_without_ray",
        "sweep",
        ["--ray_address=127.0.0.1:6379", "--output_dir={out}"],
        RUNTIME_ERROR,
        "need --engine=ray",
    ),
    (
        "report_workers_with_ray",
        "report",
        ["--engine=ray", "--workers=2", "--output_dir={out}"],
        RUNTIME_ERROR,
        "--workers is for --engine=local",
    ),
    (
        "report_unknown_section",
        "report",
        ["--sections=bogus", "--output_dir={out}"],
        FLAG_ERROR,
        "c3_mnist",
    ),
    # A batch larger than the data.
    (
        "mnist_batch_larger_than_data",
        "mnist",
        ["--data_dir={tiny}", "--batch_size=7", "--output_dir={out}"],
        RUNTIME_ERROR,
        "`batch_size` exceeds the 6 training",
    ),
    (
        "depth_batch_larger_than_data",
        "depth",
        ["--data_dir={tiny}", "--batch_size=7", "--output_dir={out}"],
        RUNTIME_ERROR,
        "`batch_size` exceeds the 6 training",
    ),
    # Unwritable output (a path under a regular file: root ignores chmod).
    (
        "regression_unwritable_output",
        "regression",
        ["--output_dir={blocker}/run"],
        RUNTIME_ERROR,
        "not writable",
    ),
    # Unreadable inputs of the non-training binaries.
    (
        "compare_missing_record",
        "compare",
        ["--runs={empty}", "--output={out}/loss.png"],
        RUNTIME_ERROR,
        "Cannot read the record",
    ),
    (
        "doctor_bad_model_file",
        "doctor",
        ["--model={bad_model}", "--output_dir={out}"],
        RUNTIME_ERROR,
        "Cannot load",
    ),
)


def _fixtures(root):
    """Writes the bad data and files the cases name; returns their paths."""
    paths = {
        name: os.path.join(root, name)
        for name in (
            "empty",
            "tiny",
            "truncated",
            "flipped",
            "bad_magic",
            "bad_labels",
        )
    }
    paths["missing"] = os.path.join(root, "no_such_folder")
    os.makedirs(paths["empty"])
    testutil.write_idx_folder(paths["tiny"])
    # A gzip stream cut short: the reader meets its end mid-member.
    path = testutil.write_idx_folder(paths["truncated"])[("train", "images")][0]
    with open(path, "r+b") as f:
        f.truncate(100)
    # Bytes flipped inside the compressed stream: zlib's own error.
    path = testutil.write_idx_folder(paths["flipped"])[("train", "images")][0]
    with open(path, "r+b") as f:
        f.seek(200)
        chunk = f.read(16)
        f.seek(200)
        f.write(bytes(b ^ 0xFF for b in chunk))
    # Raw (uncompressed) files, the images' magic number off by one.
    path = testutil.write_idx_folder(paths["bad_magic"], compress=False)[
        ("train", "images")
    ][0]
    with open(path, "r+b") as f:
        f.write(b"\x00\x00\x08\x04")
    # A label of 12 in a ten-class dataset.
    path = testutil.write_idx_folder(paths["bad_labels"])[("t10k", "labels")][0]
    with gzip.open(path, "rb") as f:
        payload = bytearray(f.read())
    payload[-1] = 12
    with open(path, "wb") as f:
        f.write(gzip.compress(bytes(payload)))
    paths["blocker"] = os.path.join(root, "a_file")
    with open(paths["blocker"], "w") as f:
        f.write("not a folder")
    paths["bad_model"] = os.path.join(root, "bad.keras")
    with open(paths["bad_model"], "w") as f:
        f.write("not a zip")
    return paths


def _docstring_first_line(binary):
    """The first line of the binary's module docstring, read from its file."""
    spec = importlib.util.find_spec(f"experiments.{binary}")
    with open(spec.origin) as f:
        source = f.read()
    start = source.index('"""') + 3
    return source[start:].splitlines()[0].strip()


class BadInputTest(tf.test.TestCase, parameterized.TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        root = tempfile.mkdtemp(prefix="bad-input-")
        cls.addClassCleanup(shutil.rmtree, root)
        paths = _fixtures(root)

        outs, commands = [], []
        for name, binary, args in (case[:3] for case in _CASES):
            out = os.path.join(root, "out", name)
            outs.append(out)
            commands.append(
                (
                    f"experiments.{binary}",
                    [a.format(out=out, **paths) for a in args],
                )
            )
        cls.results = dict(
            zip(
                (c[0] for c in _CASES),
                zip(outs, testutil.run_modules(commands), strict=True),
                strict=True,
            )
        )

    def test_table_covers_every_binary(self):
        self.assertGreaterEqual(len(_CASES), 20)
        self.assertCountEqual(
            {c[1] for c in _CASES},
            [
                "mnist",
                "sweep",
                "depth",
                "deep_relu",
                "regression",
                "toy",
                "compare",
                "doctor",
                "report",
            ],
        )

    @parameterized.named_parameters((case[0], *case) for case in _CASES)
    def test_one_line(self, name, binary, args, exitcode, fragment):
        del args
        out, proc = self.results[name]
        report = f"exit {proc.returncode}, stderr:\n{proc.stderr[-3000:]}"
        self.assertEqual(proc.returncode, exitcode, report)
        self.assertNotIn("Traceback", proc.stderr)
        messages = testutil.stderr_messages(proc.stderr)
        if exitcode == FLAG_ERROR:
            self.assertEqual(len(messages), 2, report)
            self.assertStartsWith(messages[0], _FLAG_PREFIX)
            self.assertEqual(messages[1], _FLAG_HINT)
        else:
            self.assertLen(messages, 1, report)
            self.assertStartsWith(messages[0], _RUNTIME_PREFIX)
            self.assertFalse(
                os.path.exists(os.path.join(out, "metrics.json")), report
            )
        self.assertIn(fragment, messages[0])
        # No usage dump: neither the module docstring nor the flag list.
        self.assertNotIn(_docstring_first_line(binary), proc.stderr)
        self.assertNotIn("flags:", proc.stderr)


if __name__ == "__main__":
    tf.test.main()
