"""Times `python -m experiments.doctor` on ResNet50, whole processes.

Saves keras.applications.ResNet50 (weights=None; 224x224x3 inputs, or
`--input_size` squared: 32 is the smallest ResNet50 takes, the closest to
MNIST's 28x28) to a temporary .keras file, then runs, alternately
`--repeats` times (so every command sees the same machine load):

  import:   python -c "import keras_initstudy.diagnostics.doctor"
            (TensorFlow's import, the floor of any doctor process)
  load:     the import plus keras.saving.load_model of the file
  doctor:   python -m experiments.doctor --model=resnet50.keras
  pass:     the import, load_model and one bare forward and backward pass
            of N random images under a tf.GradientTape, no doctor: the floor
            of any tool that looks at the signals of one batch
  + batch:  the doctor with --dataset=synthetic --batch_size=N (one forward
            and one backward pass of N images)

and prints a Markdown table of the median wall times, and what each adds
on top of the import.

Then the doctor's own cost in one process, against the floor measured in
that same process: fresh processes (alternating, `--repeats` each) import
the doctor and load the model, timing both, and then time one piece of
work: `doctor.examine(model)` (without data: all of it is the doctor's
cost over the floor), one bare forward and backward pass of the doctor's
synthetic batch (the floor of data mode), or `doctor.examine(model, x, y)`
on that batch. It prints the medians, the cost without data over the
floor, and the ratio of data mode to the bare pass.

Usage: python -m benchmarks.doctor_bench [--repeats=3] [--batch_size=8]
    [--input_size=224]
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from absl import app
from absl import flags

_REPEATS = flags.DEFINE_integer("repeats", 3, "Runs of each command.", 1)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size", 8, "Images in the doctor's synthetic batch.", 1
)
_INPUT_SIZE = flags.DEFINE_integer(
    "input_size", 224, "ResNet50's input is input_size x input_size x 3.", 32
)


# One training-mode forward and backward pass, as the doctor's probe makes.
_BARE_PASS = """
import keras, numpy as np, tensorflow as tf
m = keras.saving.load_model({model!r}, compile=False)
rng = np.random.default_rng(0)
x = tf.constant(rng.random(({batch}, {size}, {size}, 3), dtype=np.float32))
y = tf.constant(rng.integers(0, 1000, size={batch}))
with tf.GradientTape() as tape:
    loss = tf.reduce_mean(
        keras.losses.sparse_categorical_crossentropy(y, m(x, training=True))
    )
tape.gradient(loss, m.trainable_variables)
"""


# One piece of work after the floor (import + load_model), timed inside
# the process; prints JSON.
_IN_PROCESS = """
import json, time
start = time.perf_counter()
import keras, numpy as np, tensorflow as tf
from keras_initstudy.diagnostics import doctor
imported = time.perf_counter()
m = keras.saving.load_model({model!r}, compile=False)
loaded = time.perf_counter()
x, y, _ = doctor.synthetic_batch(m, {batch})
work = {work!r}
begin = time.perf_counter()
if work == "examine":
    doctor.examine(m)
elif work == "examine + batch":
    doctor.examine(m, x, y)
else:
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(
            keras.losses.sparse_categorical_crossentropy(
                y, m(x, training=True)
            )
        )
    tape.gradient(loss, m.trainable_variables)
end = time.perf_counter()
print(json.dumps({{"import": imported - start, "load": loaded - imported,
                  "work": end - begin}}))
"""
_WORKS = ("examine", "bare pass", "examine + batch")


def _in_process(model):
    """`{work: [{"import", "load", "work"} per run]}`, runs alternating."""
    runs = {work: [] for work in _WORKS}
    for _ in range(_REPEATS.value):
        for work in _WORKS:
            code = _IN_PROCESS.format(
                model=model, batch=_BATCH_SIZE.value, work=work
            )
            proc = subprocess.run(
                [sys.executable, "-c", code],
                capture_output=True,
                text=True,
                env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
            )
            if proc.returncode:
                raise RuntimeError(f"{work} failed:\n{proc.stderr[-2000:]}")
            runs[work].append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return runs


def _print_in_process(runs):
    def median(work, key):
        return statistics.median(r[key] for r in runs[work])

    print()
    print(
        f"In one process (median of {_REPEATS.value} fresh processes each; "
        f"the doctor's synthetic batch of {_BATCH_SIZE.value}):"
    )
    print()
    print(
        "| work after import + load_model | import (s) | load_model (s) "
        "| work (s) | work runs (s) |"
    )
    print("|---|---:|---:|---:|---|")
    for work in _WORKS:
        each = ", ".join(f"{r['work']:.2f}" for r in runs[work])
        print(
            f"| {work} | {median(work, 'import'):.2f} | "
            f"{median(work, 'load'):.2f} | {median(work, 'work'):.2f} | "
            f"{each} |"
        )
    floor = median("examine", "import") + median("examine", "load")
    print()
    print(
        f"Without data: the doctor costs {median('examine', 'work'):.2f} s "
        f"over its process's floor of {floor:.2f} s (import + load_model)."
    )
    ratios = [
        b["work"] / a["work"]
        for a, b in zip(runs["bare pass"], runs["examine + batch"], strict=True)
    ]
    batch, bare = median("examine + batch", "work"), median("bare pass", "work")
    print(
        f"With one batch: {batch:.2f} s against the bare pass's {bare:.2f} "
        f"s: {batch / bare:.2f}x "
        f"(paired runs: {', '.join(f'{r:.2f}x' for r in ratios)})."
    )


def _save_resnet50(path, size):
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import keras; keras.utils.set_random_seed(0); "
            "keras.applications.ResNet50(weights=None, input_shape="
            f"({size}, {size}, 3)).save({path!r})",
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )


def _time(cmd):
    start = time.perf_counter()
    proc = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"{cmd} failed:\n{proc.stderr[-2000:]}")
    return elapsed


def main(argv):
    del argv
    tmp = tempfile.mkdtemp(prefix="doctor-bench-")
    model = os.path.join(tmp, "resnet50.keras")
    _save_resnet50(model, _INPUT_SIZE.value)
    doctor = [
        sys.executable,
        "-m",
        "experiments.doctor",
        f"--model={model}",
        f"--output_dir={tmp}",
    ]
    commands = {
        'import (python -c "import keras_initstudy.diagnostics.doctor")': [
            sys.executable,
            "-c",
            "import keras_initstudy.diagnostics.doctor",
        ],
        "import + load_model(resnet50.keras)": [
            sys.executable,
            "-c",
            "import keras_initstudy.diagnostics.doctor, keras; "
            f"keras.saving.load_model({model!r}, compile=False)",
        ],
        "doctor --model=resnet50.keras": doctor,
        f"import + load_model + one forward/backward pass of "
        f"{_BATCH_SIZE.value} images (no doctor)": [
            sys.executable,
            "-c",
            _BARE_PASS.format(
                model=model, batch=_BATCH_SIZE.value, size=_INPUT_SIZE.value
            ),
        ],
        f"doctor ... --dataset=synthetic --batch_size={_BATCH_SIZE.value}": [
            *doctor,
            "--dataset=synthetic",
            f"--batch_size={_BATCH_SIZE.value}",
        ],
    }
    times = {name: [] for name in commands}
    for _ in range(_REPEATS.value):
        for name, cmd in commands.items():
            times[name].append(_time(cmd))
    medians = {name: statistics.median(t) for name, t in times.items()}
    floor = next(iter(medians.values()))
    print(
        f"ResNet50 (weights=None, {_INPUT_SIZE.value}x{_INPUT_SIZE.value}x3), "
        "whole processes; load average "
        f"at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs."
    )
    print()
    print("| command | median wall time (s) | minus import (s) | runs (s) |")
    print("|---|---:|---:|---|")
    for name, t in times.items():
        runs = ", ".join(f"{x:.2f}" for x in t)
        print(
            f"| {name} | {medians[name]:.2f} | {medians[name] - floor:.2f} "
            f"| {runs} |"
        )
    _print_in_process(_in_process(model))


if __name__ == "__main__":
    app.run(main)
