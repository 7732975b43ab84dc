"""The doctor's verdicts against the zoo's measured outcomes.

A run stalls when its test accuracy ends less than `STALL_MARGIN` above the
prior; a model stalls when it stalls on at least 2 of its seeds (on all of
them, with fewer). The doctor predicts a stall when it finds any error or
warning. `confusion` counts where the two agree.
"""

import collections

from keras_initstudy.diagnostics import doctor

# The margin issue 17 fixes for "learned nothing useful" above the prior
# (the share of the most frequent test class).
STALL_MARGIN = 0.2
# A model stalls when this many of its seeds stall (all, with fewer seeds).
STALLED_SEEDS = 2


def stalls(test_accuracy, prior_accuracy):
    """Whether one run stalled: test accuracy below prior + `STALL_MARGIN`."""
    return bool(test_accuracy < prior_accuracy + STALL_MARGIN)


def outcomes(records):
    """Each model's `stalls` flags, from records of the "zoo" study kind.

    Returns:
        A dict: model name -> list of bools, one per record of that model,
        in the order of `records`.
    """
    flags = collections.defaultdict(list)
    for record in records:
        flags[record["config"]["model"]].append(record["stalls"])
    return dict(flags)


def model_stalls(flags):
    """Whether a model stalls, given its runs' `stalls` flags (not empty)."""
    if not flags:
        raise ValueError(f"No runs to judge. Received: flags={flags!r}")
    return sum(flags) >= min(STALLED_SEEDS, len(flags))


def doctor_verdict(model, x=None, y=None):
    """Whether the init doctor predicts a stall: any error or warning.

    Args:
        model: a built Keras model.
        x, y: an optional batch for the doctor's signal checks (see
            `doctor.examine`).
    """
    return doctor.examine(model, x, y).has(doctor.WARNING)


def confusion(outcomes, verdicts):
    """The doctor's verdicts against the measured outcomes.

    Examples:

    >>> result = confusion(
    ...     {"a": [True, True], "b": [False, False], "c": [True, False]},
    ...     {"a": True, "b": True, "c": False},
    ... )
    >>> result["matrix"]["true_positive"], result["agreement"]
    (1, 0.6666666666666666)
    >>> [d["model"] for d in result["disagreements"]]
    ['b']

    Args:
        outcomes: model name -> the `stalls` flags of its runs (see
            `outcomes`); whether it stalls is `model_stalls(flags)`.
        verdicts: model name -> whether the doctor predicts a stall, for
            the same models.

    Returns:
        A JSON-ready dict: `matrix` (`true_positive`: predicted and
        stalls; `false_positive`: predicted, trains; `false_negative`:
        stalls, not predicted; `true_negative`), `agreement` (the share of
        models where the two agree) and `disagreements` (one dict per
        model where they differ, in the order of `outcomes`: `model`,
        `stalls`, `predicts_stall`).

    Raises:
        ValueError: when the two cover different models, or none.
    """
    if not outcomes or set(outcomes) != set(verdicts):
        raise ValueError(
            "`outcomes` and `verdicts` must cover the same models, at least "
            f"one. Received: outcomes of {sorted(outcomes)}, verdicts of "
            f"{sorted(verdicts)}"
        )
    cells = {
        (True, True): "true_positive",
        (True, False): "false_positive",
        (False, True): "false_negative",
        (False, False): "true_negative",
    }
    matrix = dict.fromkeys(cells.values(), 0)
    disagreements = []
    for name, flags in outcomes.items():
        stalled, predicted = model_stalls(flags), bool(verdicts[name])
        matrix[cells[predicted, stalled]] += 1
        if stalled != predicted:
            disagreements.append(
                {"model": name, "stalls": stalled, "predicts_stall": predicted}
            )
    agreed = matrix["true_positive"] + matrix["true_negative"]
    return {
        "matrix": matrix,
        "agreement": agreed / len(outcomes),
        "disagreements": disagreements,
    }
