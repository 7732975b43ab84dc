r"""Diagnoses the initialization of a Keras model before any training.

Examines a saved `.keras` model, or the article's MLP built from flags, and
reports zero or constant kernels, symmetric (duplicated) units, weight
scales far from the variance-preserving value of each layer's activation,
and layers that share one initializer's values. Writes doctor.json; with
`--fail_on=error` (or `warning`) the exit code is 1 when such findings
exist, so the doctor can guard a training pipeline.

Usage:
  python -m experiments.doctor --init=zeros
  python -m experiments.doctor --model=path/to/model.keras --fail_on=error
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app  # noqa: E402
from absl import flags  # noqa: E402
from absl import logging  # noqa: E402

from experiments import common  # noqa: E402
from experiments import flags_core  # noqa: E402
from keras_initstudy import doctor  # noqa: E402
from keras_initstudy import initializers  # noqa: E402
from keras_initstudy import models  # noqa: E402
from keras_initstudy import records  # noqa: E402

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
_FAIL_ON = flags.DEFINE_enum(
    "fail_on",
    "never",
    ["never", doctor.ERROR, doctor.WARNING],
    "Exit with code 1 when a finding of this severity (or worse) exists.",
)
_OUTPUT_DIR = flags.DEFINE_string(
    "output_dir", "runs/doctor", "Where doctor.json goes."
)


def load_or_build():
    """Returns `(model, description)` from the flags."""
    if _MODEL.value:
        import keras

        if not os.path.isfile(_MODEL.value):
            raise ValueError(f"No model file at {_MODEL.value}.")
        try:
            return keras.saving.load_model(_MODEL.value), _MODEL.value
        except Exception as e:  # Keras raises many types for a bad file.
            first_line = str(e).strip().splitlines()[0] if str(e) else ""
            raise ValueError(
                f"Cannot load {_MODEL.value}: {type(e).__name__}: {first_line}"
            ) from None
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


@common.one_line_errors
def main(argv):
    del argv
    output_dir = records.prepare_output_dir(_OUTPUT_DIR.value)
    model, description = load_or_build()
    findings = doctor.examine(model)
    for f in findings:
        logging.info(
            "%s %s [%s]: %s%s",
            f.severity.upper(),
            f.layer,
            f.check,
            f.message,
            f" Fix: {f.suggestion}" if f.suggestion else "",
        )
    counts = {
        s: sum(f.severity == s for f in findings) for s in doctor.SEVERITIES
    }
    logging.info("%s: %s", description, counts)
    path = records.write_json_atomic(
        os.path.join(output_dir, "doctor.json"),
        {
            "model": description,
            "counts": counts,
            "findings": [f.as_dict() for f in findings],
        },
    )
    logging.info("wrote %s", path)
    if _FAIL_ON.value != "never":
        worst = doctor.SEVERITIES.index(_FAIL_ON.value)
        if any(counts[s] for s in doctor.SEVERITIES[: worst + 1]):
            return 1
    return 0


if __name__ == "__main__":
    app.run(main)
