r"""Diagnoses the initialization of a Keras model, and repairs it.

Examines every weight of a saved `.keras` model (or of the article's MLP
built from flags): zero or constant kernels, symmetric units, recurrent
kernels far from orthogonal, identical embedding rows, zero normalization
scales, weight scales far from the variance-preserving value, weights that
share one initializer's values. With `--dataset` (or `--batch`) it also
measures the forward and backward signals of one batch. Prints a table (or,
with `--json`, the report as JSON) and writes doctor.json.

With `--fix=OUT.keras` it also re-initializes the weights behind the errors
and warnings (`doctor.repair`; by LSUV on the batch, when there is one),
saves the repaired model to OUT.keras, examines it again and prints what
changed. With `--fail_on=error` (or `warning`) the exit code is 1 when such
findings exist (in the repaired model, with `--fix`), so the doctor can
guard a training pipeline.

Usage:
  keras-initstudy-doctor model.keras --fail_on=error
  keras-initstudy-doctor model.keras --dataset=synthetic --fix=fixed.keras
  python -m experiments.doctor --init=zeros
  python -m experiments.doctor --model=text.keras --dataset=synthetic --json
"""

import json
import os
import sys

from absl import app
from absl import flags
from absl import logging

from keras_initstudy import binaries
from keras_initstudy import initializers
from keras_initstudy.diagnostics import doctor
from keras_initstudy.study import data
from keras_initstudy.study import models
from keras_initstudy.study import records

_MODEL = flags.DEFINE_string(
    "model",
    None,
    "A saved .keras model (or give its path as the argument); without one, "
    "the MLP of --init, --activation and --hidden_units.",
)
_INIT = flags.DEFINE_enum(
    "init", "zeros", initializers.names(), "Kernel initializer of the MLP."
)
_ACTIVATION = flags.DEFINE_enum(
    "activation", "relu", list(models.ACTIVATIONS), "Hidden activation."
)
_HIDDEN_UNITS = flags.DEFINE_list(
    "hidden_units",
    ["128"],
    "Comma-separated widths of the MLP's hidden layers.",
)
binaries.validate_positive_ints("hidden_units")
_SEED = flags.DEFINE_integer(
    "seed", 0, "Seeds the MLP's initializers and the repair's draws."
)
_DATASET = flags.DEFINE_enum(
    "dataset",
    None,
    [*data.NAMES, "synthetic"],
    "Measure signals on one batch: test images of this dataset (a synthetic "
    "batch when the model does not take them), or a synthetic batch of the "
    "model's input spec (random token ids for an Embedding input).",
)
_BATCH = flags.DEFINE_string(
    "batch",
    None,
    "Measure signals on the batch in this .npz file: array `x` (inputs) "
    "and, optionally, `y` (integer labels).",
)
_BATCH_SIZE = flags.DEFINE_integer(
    "batch_size",
    doctor.SYNTHETIC_BATCH_SIZE,
    "Examples taken from --dataset.",
    lower_bound=1,
)
_JSON = flags.DEFINE_bool(
    "json", False, "Print the report as JSON on stdout instead of the table."
)
_FAIL_ON = flags.DEFINE_enum(
    "fail_on",
    "never",
    ["never", doctor.ERROR, doctor.WARNING],
    "Exit with code 1 when a finding of this severity (or worse) exists; "
    "with --fix, in the repaired model.",
)
_FIX = flags.DEFINE_string(
    "fix",
    None,
    "Re-initialize the weights behind the errors and warnings (by LSUV on "
    "the batch, with --dataset or --batch), save the repaired model to "
    "this .keras file and examine it again.",
)
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", "runs/doctor", "Where doctor.json goes."
)


flags.register_multi_flags_validator(
    ["dataset", "batch"],
    lambda f: not (f["dataset"] and f["batch"]),
    "Give --dataset or --batch, not both.",
)
flags.register_validator(
    "fix",
    lambda path: path is None or path.endswith(".keras"),
    "must name a .keras file",
)


def model_path(argv):
    """The model file: the one argument, or --model (not both)."""
    paths = argv[1:]
    if len(paths) > 1 or (paths and _MODEL.value):
        raise ValueError(
            "Give one model file, as the argument or as --model. "
            f"Received: {' '.join(paths)} --model={_MODEL.value}"
        )
    return paths[0] if paths else _MODEL.value


def load_or_build(path):
    """Returns `(model, description)`: the model at `path`, or the MLP."""
    if path:
        import keras

        if not os.path.isfile(path):
            raise ValueError(f"No model file at {path}.")
        try:
            model = keras.saving.load_model(path, compile=False)
        except Exception as e:  # Keras raises many types for a bad file.
            first_line = str(e).strip().splitlines()[0] if str(e) else ""
            raise ValueError(
                f"Cannot load {path}: {type(e).__name__}: {first_line}"
            ) from None
        return model, path
    hidden = tuple(int(u) for u in _HIDDEN_UNITS.value)
    model = models.mlp(
        hidden,
        _ACTIVATION.value,
        kernel_initializer=_INIT.value,
        seed=_SEED.value,
    )
    return model, (
        f"mlp(hidden_units={hidden}, activation={_ACTIVATION.value!r}, "
        f"kernel_initializer={_INIT.value!r})"
    )


def load_batch(model):
    """Returns `(x, y, description)` from --dataset or --batch, or Nones."""
    if _BATCH.value:
        import numpy as np

        try:
            with np.load(_BATCH.value) as arrays:
                if "x" not in arrays:
                    raise ValueError(
                        f"{_BATCH.value} has no array `x`; it holds "
                        f"{sorted(arrays)}."
                    )
                x = arrays["x"]
                y = arrays["y"] if "y" in arrays else None
        except OSError as e:
            raise ValueError(f"Cannot read {_BATCH.value}: {e}") from None
        return x, y, f"{len(x)} examples from {_BATCH.value}"
    if _DATASET.value == "synthetic":
        return doctor.synthetic_batch(model, _BATCH_SIZE.value, _SEED.value)
    if _DATASET.value:
        dataset = data.load(_DATASET.value)
        return doctor.image_batch(
            model,
            dataset.x_test,
            dataset.y_test,
            _DATASET.value,
            _BATCH_SIZE.value,
        )
    return None, None, None


def repair(model, x, y, batch, path):
    """Repairs the model, saves it to `path` and examines it again.

    Returns:
        `(report, record)`: the repaired model's `Report`, and the record's
        "repair" entry (where it went, the changes, the new report).
    """
    model, changes = doctor.repair(model, x, y, seed=_SEED.value)
    # A reader of `path` finds the old file or the complete new model.
    with records.atomic_path(path) as tmp:
        model.save(tmp)
    report = doctor.examine(model, x, y, batch=batch)
    return report, {
        "output": path,
        "changes": [change.as_dict() for change in changes],
        "after": report.as_dict(),
    }


def format_changes(record):
    """The "repair" entry of the record as lines for the terminal."""
    changes = record["changes"]
    lines = [f"repaired {len(changes)} weight(s), saved to {record['output']}"]
    for c in changes:
        lines.append(
            f"  {c['layer']}/{c['weight']} ({', '.join(c['checks'])}): std "
            f"{c['old_std']:.3g} -> {c['new_std']:.3g}, {c['initializer']}"
        )
    return "\n".join(lines)


@binaries.one_line_errors
def main(argv):
    """Examines (with --fix, repairs) a model; returns the exit code."""
    path = model_path(argv)
    if _FIX.value:
        # Checked before any work: a run that cannot save its repair fails
        # at once, leaving nothing behind.
        folder = os.path.dirname(os.path.abspath(_FIX.value))
        try:
            records.prepare_output_dir(folder)
        except records.OutputDirError as e:
            raise records.OutputDirError(f"--fix={_FIX.value}: {e}") from None
    output_dir = records.prepare_output_dir(_OUTPUT_DIR.value)
    model, description = load_or_build(path)
    x, y, batch = load_batch(model)
    report = doctor.examine(model, x, y, batch=batch)
    record = {"model": description, **report.as_dict()}
    text = f"{description}\n{doctor.format_table(report)}"
    if _FIX.value:
        report, record["repair"] = repair(model, x, y, batch, _FIX.value)
        text += (
            f"\n\n{format_changes(record['repair'])}\n\nafter repair:\n"
            f"{doctor.format_table(report)}"
        )
    written = records.write_json_atomic(
        os.path.join(output_dir, "doctor.json"), record
    )
    print(json.dumps(record, indent=1) if _JSON.value else text)
    logging.info("wrote %s", written)
    if _FAIL_ON.value != "never" and report.has(_FAIL_ON.value):
        return 1
    return 0


def run():
    """The console script `keras-initstudy-doctor`."""
    # absl's --help shows the docstring and key flags of the __main__
    # module, which for a console script is a generated stub: lend it ours.
    sys.modules["__main__"].__doc__ = __doc__
    for flag in flags.FLAGS.get_key_flags_for_module(__name__):
        flags.FLAGS.register_key_flag_for_module(sys.argv[0], flag)
    app.run(main)
