"""From records to published numbers: measurements, verdicts, formatting.

A measurement is one number over seeds (`measurement`); a claim reads its
measurements by name (`named`), checks them (`every`) and gets a verdict
from its checks (`claim`). `format_number` is the one place where a page
rounds a number; `curve_stats` the one average of curves that may stop
early.
"""

import dataclasses
import math
import statistics

import numpy as np

from keras_initstudy.report import commands
from keras_initstudy.report import plan

FIGURES_DIR = "figures"

REPRODUCED = "reproduced"
PARTLY = "partly"
NOT_REPRODUCED = "not reproduced"

LN10 = math.log(10.0)
# The loss of a net stuck at the prior moves with the label mix of each
# minibatch of 100 (a few thousandths of a nat, see README); a curve that
# stays within this of ln 10 for every iteration is called flat.
FLAT_TOLERANCE = 0.02
# A run "trains" when its test accuracy beats the prior by this much.
TRAINS_MARGIN = 0.05


# --- Numbers over seeds ------------------------------------------------------


def summarize(values):
    """`{mean, sd, n, min, max}` of the finite values, exact for ties.

    `statistics` computes in exact rational arithmetic, so five equal
    values give that value as the mean and an sd of exactly 0. sd is the
    sample sd (ddof=1), 0.0 for one value. Values that are None (a run that
    diverged to a non-finite number) are left out of the statistics; with
    none left every statistic is None.

    Examples:

    >>> summarize([0.1135] * 5)["sd"]
    0.0
    >>> summarize([1.0, 3.0])
    {'mean': 2.0, 'sd': 1.4142135623730951, 'n': 2, 'min': 1.0, 'max': 3.0}
    """
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return {"mean": None, "sd": None, "n": 0, "min": None, "max": None}
    return {
        "mean": float(statistics.mean(finite)),
        "sd": float(statistics.stdev(finite)) if len(finite) > 1 else 0.0,
        "n": len(finite),
        "min": min(finite),
        "max": max(finite),
    }


def _number(value):
    if isinstance(value, bool):
        return float(value)
    if value is None or not math.isfinite(value):
        return None
    return value


def measurement(name, pairs, value_fn):
    """One measurement over seeds.

    Args:
        name: "<metric>/<init>/<activation>[/<variant>]" (or just the metric
            for a claim's main number).
        pairs: `(task, record)` pairs, one per seed, seeds ascending.
        value_fn: record -> number.

    Returns:
        `{name, values, seeds, mean, sd, n, min, max, command}`; `command`
        reruns the first seed.
    """
    if not pairs:
        raise ValueError(f"No runs for measurement {name!r}.")
    values = [_number(value_fn(record)) for _, record in pairs]
    return {
        "name": name,
        "values": values,
        "seeds": [task.config.seed for task, _ in pairs],
        **summarize(values),
        "command": commands.command(pairs[0][0]),
    }


def named(measurements):
    """`{name: measurement}`, the only way a check reads a measurement.

    Checks look measurements up by name, never by position, so adding a
    measurement cannot change what a check reads.

    Raises:
        ValueError: two measurements share a name.
    """
    by_name = {}
    for m in measurements:
        if m["name"] in by_name:
            raise ValueError(f"Two measurements are named {m['name']!r}.")
        by_name[m["name"]] = m
    return by_name


def find_measurement(claim, name):
    """The measurement called `name` in a claim dict."""
    for m in claim["measurements"]:
        if m["name"] == name:
            return m
    raise KeyError(f"Claim {claim['id']} has no measurement {name!r}.")


# --- Runs of a section -------------------------------------------------------


def select(groups, section, kind=None, **fields):
    """`(task, record)` pairs of a section whose config matches `fields`."""
    found = []
    for task, record in groups.get(section, []):
        if kind and task.kind != kind:
            continue
        if all(getattr(task.config, k) == v for k, v in fields.items()):
            found.append((task, record))
    return sorted(found, key=lambda pair: pair[0].config.seed)


def planned(groups, section, fields):
    """Runs of one configuration of `plan.BREAKING` or `plan.C3_VARIANTS`.

    Its config must equal the planned one in every field but the seed.
    """
    wanted = plan.classifier_task(0, **fields).config
    return sorted(
        (
            (task, record)
            for task, record in groups.get(section, [])
            if dataclasses.replace(task.config, seed=wanted.seed) == wanted
        ),
        key=lambda pair: pair[0].config.seed,
    )


def depth_pairs(groups, section, init, activation):
    """Depth runs of one initializer and activation."""
    return [
        (t, r)
        for t, r in select(groups, section)
        if t.config.inits == (init,) and t.config.activations == (activation,)
    ]


# --- Record readers ----------------------------------------------------------


def hidden_distinct(record, layer="hidden_1"):
    """Distinct units of a hidden layer at every recorded iteration."""
    return record["symmetry"][layer]["distinct_units"]


def distinct_at(record, iteration, layer="hidden_1"):
    """Distinct units of a hidden layer after `iteration`."""
    entry = record["symmetry"][layer]
    return entry["distinct_units"][entry["iteration"].index(iteration)]


def loss_gap(record):
    """Largest |loss - ln 10| over the minibatches (None if any diverged)."""
    losses = [v for v in record["train_loss"] if v is not None]
    if len(losses) < len(record["train_loss"]):
        return None
    return max(abs(v - LN10) for v in losses)


def final_loss(record):
    """The last minibatch loss (None without one)."""
    return record["train_loss"][-1] if record["train_loss"] else None


def only_run(record):
    """The one run of a depth or deep ReLU record of one configuration."""
    (run,) = record["runs"]
    return run


def classifier_measurements(pairs, suffix="", metrics=None):
    """The standard numbers of a set of classifier runs (one config).

    Args:
        pairs: `(task, record)` pairs of one configuration.
        suffix: appended to the names, after "<init>/<activation>".
        metrics: which of "test_accuracy", "max_loss_gap_to_ln10" and
            "max_distinct_units" (default: all three, in that order).
    """
    readers = {
        "test_accuracy": lambda r: r["test_accuracy"],
        "max_loss_gap_to_ln10": loss_gap,
        "max_distinct_units": lambda r: max(hidden_distinct(r)),
    }
    config = pairs[0][0].config
    tail = f"/{config.init}/{config.activation}{suffix}"
    return [
        measurement(metric + tail, pairs, readers[metric])
        for metric in (metrics or readers)
    ]


# --- Verdicts ----------------------------------------------------------------


def every(m, predicate):
    """Whether every seed has a value and `predicate` holds for each."""
    return m["n"] == len(m["values"]) and all(predicate(v) for v in m["values"])


def verdict(checks):
    """`(verdict, why)` from `[(description, passed)]`: all, some or none."""
    failed = [text for text, ok in checks if not ok]
    if not failed:
        return REPRODUCED, None
    if len(failed) < len(checks):
        return PARTLY, "Failed checks: " + "; ".join(failed) + "."
    return NOT_REPRODUCED, "Every check failed: " + "; ".join(failed) + "."


def claim(claim_id, title, text, measurements, checks, figures, **extra):
    """A claim dict (see `claims.results`) with the verdict of its checks.

    Args:
        claim_id, title, text: what the claim is and says.
        measurements: its measurements, in the order pages list them.
        checks: `[(description, passed)]`.
        figures: file names of its figures under `FIGURES_DIR`.
        **extra: `disagreement` (text or None), `tables` (dicts of `title`,
            `columns`, `rows`) and any further key, e.g. `skipped`.
    """
    verdict_, why = verdict(checks)
    return {
        "id": claim_id,
        "title": title,
        "claim": text,
        "verdict": verdict_,
        "why": why,
        "checks": [{"check": t, "passed": bool(ok)} for t, ok in checks],
        "measurements": measurements,
        "figures": [f"{FIGURES_DIR}/{name}" for name in figures],
        "disagreement": extra.pop("disagreement", None),
        "tables": extra.pop("tables", []),
        **extra,
    }


# --- Shown numbers -----------------------------------------------------------


def format_number(value, digits=4, missing="n/a"):
    """A number as every page shows it: the one place that rounds.

    Whole numbers below a million print whole ("1135", "0" also for -0.0),
    bools as JSON writes them ("true", "false"), anything else with
    `digits` significant digits (`format(value, f".{digits}g")`, so nan and
    inf print as "nan" and "inf").

    Examples:

    >>> format_number(0.113500003)
    '0.1135'
    >>> format_number(1135.0)
    '1135'
    >>> format_number(-0.0, digits=6)
    '0'
    >>> format_number(None, missing="-")
    '-'

    Args:
        value: a number, a bool or None.
        digits: significant digits of a number that is not whole.
        missing: what None shows as ("n/a" in the report).

    Returns:
        The text.
    """
    if value is None:
        return missing
    if isinstance(value, bool):
        return str(value).lower()
    if float(value).is_integer() and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.{digits}g}"


def format_stat(m):
    """A measurement as "mean ± sd (n = N, min–max)"."""
    if m["n"] == 0:
        return "n/a (n = 0)"
    text = (
        f"{format_number(m['mean'])} ± {format_number(m['sd'], 2)} "
        f"(n = {m['n']}"
    )
    if m["min"] == m["max"]:
        return text + ", every value)"
    return text + f", {format_number(m['min'])}–{format_number(m['max'])})"


def curve_stats(curves):
    """Mean, min and max per index of curves that may stop early.

    A curve may be shorter than the others (a run that stopped) or hold
    None or a non-finite value (a diverged step); those count as no value.

    Examples:

    >>> curve_stats([[1.0, 2.0, None], [3.0]])["mean"]
    [2.0, 2.0, None]

    Args:
        curves: lists of numbers or None.

    Returns:
        `{"mean": [...], "min": [...], "max": [...]}`, each as long as the
        longest curve, None where no curve has a value.
    """
    length = max((len(c) for c in curves), default=0)
    table = np.full((len(curves), length), np.nan)
    for i, curve in enumerate(curves):
        table[i, : len(curve)] = [np.nan if v is None else v for v in curve]
    table[~np.isfinite(table)] = np.nan
    has_value = np.any(~np.isnan(table), axis=0)

    def column(fn):
        values = np.full(length, np.nan)
        if has_value.any():  # nanmin and nanmax refuse an empty table.
            values[has_value] = fn(table[:, has_value], axis=0)
        return [
            float(v) if ok else None
            for v, ok in zip(values, has_value, strict=True)
        ]

    return {
        "mean": column(np.nanmean),
        "min": column(np.nanmin),
        "max": column(np.nanmax),
    }
