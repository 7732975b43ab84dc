r"""Diagnoses the initialization of a Keras model before any training.

The binary is `keras_initstudy.cli`, which the package also installs as the
console script `keras-initstudy-doctor`: the same flags, output and exit
codes (`--help` lists the flags). It examines every weight of a saved
`.keras` model (or of the article's MLP built from flags), with `--dataset`
or `--batch` also the signals of one batch, prints a table (or JSON) and
writes doctor.json; `--fix=OUT.keras` repairs what it found and saves the
repaired model; `--fail_on=error` (or `warning`) exits with code 1 when
such findings exist.

Usage:
  python -m experiments.doctor --init=zeros
  python -m experiments.doctor --model=path/to/model.keras --fail_on=error
  python -m experiments.doctor model.keras --dataset=mnist --fix=fixed.keras
  python -m experiments.doctor --model=text.keras --dataset=synthetic --json
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app  # noqa: E402
from absl import flags  # noqa: E402

from keras_initstudy import cli  # noqa: E402

flags.adopt_module_key_flags(cli)

if __name__ == "__main__":
    app.run(cli.main)
