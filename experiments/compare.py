r"""Draws several runs' records into one comparison figure (no retraining).

Reads the metrics.json of each run and writes a PNG: `--kind=loss` plots the
minibatch loss per iteration (and the eval loss), `--kind=symmetry` the
distinct units of a hidden layer per iteration.

Usage:
  python -m experiments.mnist --init=zeros --output_dir=runs/zeros
  python -m experiments.mnist --init=constant --init_value=0.05 \
      --activation=sigmoid --output_dir=runs/constant
  python -m experiments.mnist --init=he_normal --output_dir=runs/he
  python -m experiments.compare --runs=runs/zeros,runs/constant,runs/he \
      --output=runs/loss_zeros_constant_he.png
"""

import json

from absl import app
from absl import flags
from absl import logging

from experiments import common
from keras_initstudy.study import plots
from keras_initstudy.study import records

_RUNS = flags.DEFINE_list(
    "runs", None, "Run folders (or metrics.json files) to compare."
)
_LABELS = flags.DEFINE_list(
    "labels", None, "Legend labels, one per run (default: from each config)."
)
_KIND = flags.DEFINE_enum(
    "kind", "loss", ["loss", "symmetry"], "Which curves to draw."
)
_LAYER = flags.DEFINE_string(
    "layer", "hidden_1", "Hidden layer shown by --kind=symmetry."
)
_TITLE = flags.DEFINE_string("title", None, "Figure title.")
_OUTPUT = flags.DEFINE_string("output", None, "Where the PNG goes.")
flags.mark_flags_as_required(["runs", "output"])


def read_records(paths):
    """Reads each run's metrics.json; one-line ValueError when one is bad."""
    out = []
    for path in paths:
        try:
            out.append(records.read_metrics(path))
        except (OSError, json.JSONDecodeError) as e:
            raise ValueError(f"Cannot read the record of {path}: {e}") from None
    return out


def draw(records_, kind, output, labels=None, layer="hidden_1", title=None):
    """Draws the comparison figure; returns its path."""
    try:
        if kind == "symmetry":
            return plots.symmetry_curves(records_, output, layer, labels, title)
        return plots.loss_curves(records_, output, labels, title)
    except KeyError as e:
        raise ValueError(
            f"A record lacks {e} (rerun it with the current experiments)."
        ) from None


@common.one_line_errors
def main(argv):
    del argv
    path = draw(
        read_records(_RUNS.value),
        _KIND.value,
        _OUTPUT.value,
        _LABELS.value,
        _LAYER.value,
        _TITLE.value,
    )
    logging.info("wrote %s", path)


if __name__ == "__main__":
    app.run(main)
