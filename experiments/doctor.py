r"""Diagnoses the initialization of a Keras model before any training.

Examines every weight of a saved `.keras` model (or of the article's MLP
built from flags): zero or constant kernels, symmetric units, recurrent
kernels far from orthogonal, identical embedding rows, zero normalization
scales, weight scales far from the variance-preserving value, weights that
share one initializer's values. With `--dataset` (or `--batch`) it also
measures the forward and backward signals of one batch. Prints a table (or,
with `--json`, the report as JSON) and writes doctor.json; with
`--fail_on=error` (or `warning`) the exit code is 1 when such findings
exist, so the doctor can guard a training pipeline.

Usage:
  python -m experiments.doctor --init=zeros
  python -m experiments.doctor --model=path/to/model.keras --fail_on=error
  python -m experiments.doctor --model=text.keras --dataset=synthetic --json
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import json  # noqa: E402

from absl import app  # noqa: E402
from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from experiments import common  # noqa: E402
from experiments import flags_core  # noqa: E402
from keras_initstudy import initializers  # noqa: E402
from keras_initstudy.diagnostics import doctor  # noqa: E402
from keras_initstudy.study import data  # noqa: E402
from keras_initstudy.study import models  # noqa: E402
from keras_initstudy.study import records  # noqa: E402

_MODEL = flags.DEFINE_string(
    "model", None, "A saved .keras model; when unset, build the MLP below."
)
_INIT = flags.DEFINE_enum(
    "init", "zeros", initializers.names(), "Kernel initializer of the MLP."
)
_ACTIVATION = flags.DEFINE_enum(
    "activation", "relu", list(models.ACTIVATIONS), "Hidden activation."
)
_HIDDEN_UNITS = flags_core.define_hidden_units_flag()
_SEED = flags.DEFINE_integer("seed", 0, "Seeds the MLP's initializers.")
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
    "Exit with code 1 when a finding of this severity (or worse) exists.",
)
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", "runs/doctor", "Where doctor.json goes."
)


flags.register_multi_flags_validator(
    ["dataset", "batch"],
    lambda f: not (f["dataset"] and f["batch"]),
    "Give --dataset or --batch, not both.",
)


def load_or_build():
    """Returns `(model, description)` from the flags."""
    if _MODEL.value:
        import keras

        if not os.path.isfile(_MODEL.value):
            raise ValueError(f"No model file at {_MODEL.value}.")
        try:
            model = keras.saving.load_model(_MODEL.value, compile=False)
        except Exception as e:  # Keras raises many types for a bad file.
            first_line = str(e).strip().splitlines()[0] if str(e) else ""
            raise ValueError(
                f"Cannot load {_MODEL.value}: {type(e).__name__}: {first_line}"
            ) from None
        return model, _MODEL.value
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


@common.one_line_errors
def main(argv):
    del argv
    output_dir = records.prepare_output_dir(_OUTPUT_DIR.value)
    model, description = load_or_build()
    x, y, batch = load_batch(model)
    report = doctor.examine(model, x, y, batch=batch)
    record = {"model": description, **report.as_dict()}
    path = records.write_json_atomic(
        os.path.join(output_dir, "doctor.json"), record
    )
    if _JSON.value:
        print(json.dumps(record, indent=1))
    else:
        print(f"{description}\n{doctor.format_table(report)}")
    logging.info("wrote %s", path)
    if _FAIL_ON.value != "never" and report.has(_FAIL_ON.value):
        return 1
    return 0


if __name__ == "__main__":
    app.run(main)
